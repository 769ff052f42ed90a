// Types for the vendored openapi-fetch module (dist/vendor/openapi-fetch.js, the npm package's
// dist/index.mjs, copied by scripts/build-ui.sh), re-exported under the path the browser loads.
export * from "openapi-fetch";
export { default } from "openapi-fetch";
