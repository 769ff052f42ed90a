// Types for the vendored uPlot module (dist/vendor/uPlot.esm.js, copied from the npm package
// `uplot` by scripts/build-ui.sh): the package's own declarations, re-exported under the path
// the browser loads, so the page imports a file the binary serves and no import map is needed.
import uPlot from "uplot";
export default uPlot;
