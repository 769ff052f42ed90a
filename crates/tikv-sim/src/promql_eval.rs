//! A small PromQL evaluator over the simulated metrics, with Prometheus 2.42's semantics for what
//! it supports. Queries are parsed by the `promql-parser` crate, then prepared into a plan (series
//! selected once per query), then evaluated at each step.
//!
//! Supported: number and string literals; instant selectors with `=`, `!=`, `=~`, `!~` (and
//! `offset`); range selectors at the top level of an instant query and inside `rate`, `irate`,
//! `increase`, `delta` and `predict_linear`; `sum`, `avg`, `max`, `min`, `count` with
//! `by`/`without`; `histogram_quantile`;
//! `scalar`, `vector`, `time`; unary minus; arithmetic (`+ - * / % ^`) and comparisons (with or
//! without `bool`) between scalars, vectors and scalars, and vectors (one-to-one, with
//! `on`/`ignoring`). Everything else is refused with [`EvalError::Unsupported`].
//!
//! Semantics follow Prometheus 2.42: the 5-minute lookback of instant selectors (with staleness:
//! a failed scrape ends a series at once), range selectors closed at both ends, `rate` and
//! `increase` extrapolated as Prometheus does (`extrapolatedRate`, counter resets included),
//! `delta` extrapolated the same way without counter resets (a gauge may go down),
//! `predict_linear` as the least-squares line through the window's samples evaluated the given
//! seconds after the evaluation time (`linearRegression`, constant series exactly flat),
//! `irate` from the last two samples, the incremental mean of `avg`, `histogram_quantile`'s linear
//! interpolation (NaN without observations), metric names dropped by functions, aggregations,
//! arithmetic, `bool` comparisons and unary minus, and Prometheus' execution errors for duplicate
//! series.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;

use promql_parser::label::{Matcher, Matchers};
use promql_parser::parser::{
    AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, Offset, VectorMatchCardinality,
    VectorSelector,
};

use super::go_format::go_quote;
use super::metrics::{Cx, Labels, MetricsModel, SCRAPE_MS, SeriesKey};

/// Prometheus' default lookback for instant selectors.
const LOOKBACK_MS: i64 = 300_000;
/// Prometheus' default `--query.max-samples`; here a budget for all the samples one request
/// computes, so that `rate(x[1y])` over a long range cannot keep a core busy for minutes.
const MAX_SAMPLES: u64 = 50_000_000;
const NAME: &str = "__name__";

/// Why a query cannot be answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EvalError {
    /// A PromQL construct this evaluator does not implement (Prometheus `bad_data`).
    Unsupported(String),
    /// A run-time error, as Prometheus' `execution` errors.
    Execution(String),
}

impl EvalError {
    fn unsupported(construct: impl std::fmt::Display) -> Self {
        Self::Unsupported(format!(
            "the tikv-lens demo's simulated Prometheus does not support {construct}"
        ))
    }
}

/// One element of an instant vector.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub(crate) labels: Rc<Labels>,
    pub(crate) value: f64,
}

/// One series of a matrix: `(Unix ms, value)` points.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) labels: Rc<Labels>,
    pub(crate) points: Vec<(i64, f64)>,
}

/// A query result.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Scalar(f64),
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
    String(String),
}

/// The type of an expression, as Prometheus names it in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar,
    Vector,
    Matrix,
    String,
}

impl Kind {
    pub(crate) fn prometheus_name(self) -> &'static str {
        match self {
            Kind::Scalar => "scalar",
            Kind::Vector => "vector",
            Kind::Matrix => "range vector",
            Kind::String => "string",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RangeFn {
    Rate,
    Irate,
    Increase,
    Delta,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AggOp {
    Sum,
    Avg,
    Count,
    Max,
    Min,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl BinOp {
    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Gt | BinOp::Lt | BinOp::Ge | BinOp::Le
        )
    }

    /// Go's `vectorElemBinop`: the value and whether to keep the element.
    fn apply(self, l: f64, r: f64) -> (f64, bool) {
        match self {
            BinOp::Add => (l + r, true),
            BinOp::Sub => (l - r, true),
            BinOp::Mul => (l * r, true),
            BinOp::Div => (l / r, true),
            BinOp::Mod => (l % r, true),
            BinOp::Pow => (l.powf(r), true),
            BinOp::Eq => (l, l == r),
            BinOp::Ne => (l, l != r),
            BinOp::Gt => (l, l > r),
            BinOp::Lt => (l, l < r),
            BinOp::Ge => (l, l >= r),
            BinOp::Le => (l, l <= r),
        }
    }
}

#[derive(Clone, Debug)]
enum Grouping {
    By(Vec<String>),
    Without(Vec<String>),
}

#[derive(Clone, Debug)]
enum Matching {
    Default,
    On(Vec<String>),
    Ignoring(Vec<String>),
}

#[derive(Debug)]
struct Selected {
    key: SeriesKey,
    labels: Rc<Labels>,
    unnamed: Rc<Labels>,
}

#[derive(Debug)]
struct Selection {
    series: Vec<Selected>,
    offset_ms: i64,
    /// Whether two series share a label set once their names are dropped.
    unnamed_collide: bool,
}

#[derive(Debug)]
struct BinaryNode {
    op: BinOp,
    lhs: Node,
    rhs: Node,
    return_bool: bool,
    matching: Matching,
}

/// A prepared query: the parsed expression with its series selected.
#[derive(Debug)]
pub(crate) struct Plan(Node);

impl Plan {
    /// The type of the query's result.
    pub(crate) fn kind(&self) -> Kind {
        self.0.kind()
    }
}

#[derive(Debug)]
enum Node {
    Number(f64),
    Str(String),
    Time,
    Instant(Selection),
    Matrix(Selection, i64),
    Range(RangeFn, Selection, i64),
    /// `predict_linear(selection[range], seconds)`.
    PredictLinear(Selection, i64, Box<Node>),
    Aggregate(AggOp, Grouping, Box<Node>),
    Quantile(Box<Node>, Box<Node>),
    Binary(Box<BinaryNode>),
    Negate(Box<Node>),
    ToScalar(Box<Node>),
    ToVector(Box<Node>),
}

impl Node {
    fn kind(&self) -> Kind {
        match self {
            Node::Number(_) | Node::Time | Node::ToScalar(_) => Kind::Scalar,
            Node::Str(_) => Kind::String,
            Node::Matrix(..) => Kind::Matrix,
            Node::Negate(inner) => inner.kind(),
            Node::Binary(b) if b.lhs.kind() == Kind::Scalar && b.rhs.kind() == Kind::Scalar => {
                Kind::Scalar
            }
            _ => Kind::Vector,
        }
    }
}

// ---- preparation ---------------------------------------------------------------------------

/// Turns a parsed expression into a plan over `model`, selecting every series once.
pub(crate) fn prepare(model: &MetricsModel, expr: &Expr) -> Result<Plan, EvalError> {
    prepare_node(model, expr).map(Plan)
}

fn prepare_node(model: &MetricsModel, expr: &Expr) -> Result<Node, EvalError> {
    Ok(match expr {
        Expr::Paren(p) => prepare_node(model, &p.expr)?,
        Expr::NumberLiteral(n) => Node::Number(n.val),
        Expr::StringLiteral(s) => Node::Str(s.val.clone()),
        Expr::VectorSelector(vs) => Node::Instant(select(model, vs)?),
        Expr::MatrixSelector(ms) => Node::Matrix(select(model, &ms.vs)?, millis(ms.range)),
        Expr::Subquery(_) => return Err(EvalError::unsupported("subqueries")),
        Expr::Unary(u) => Node::Negate(Box::new(prepare_node(model, &u.expr)?)),
        Expr::Binary(b) => prepare_binary(model, b)?,
        Expr::Aggregate(a) => prepare_aggregate(model, a)?,
        Expr::Call(c) => prepare_call(model, c)?,
        Expr::Extension(_) => return Err(EvalError::unsupported("extension expressions")),
    })
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn select(model: &MetricsModel, vs: &VectorSelector) -> Result<Selection, EvalError> {
    if vs.at.is_some() {
        return Err(EvalError::unsupported("the @ modifier"));
    }
    let offset_ms = match &vs.offset {
        None => 0,
        Some(Offset::Pos(d)) => millis(*d),
        Some(Offset::Neg(d)) => -millis(*d),
    };
    let Matchers {
        matchers,
        or_matchers,
    } = &vs.matchers;
    let name_matchers: Vec<&Matcher> = matchers.iter().filter(|m| m.name == NAME).collect();
    let name_ok = |name: &str| {
        vs.name.as_deref().is_none_or(|n| n == name)
            && name_matchers.iter().all(|m| m.is_match(name))
    };
    let all_match = |set: &[Matcher], labels: &Labels| {
        set.iter().all(|m| m.is_match(label_value(labels, &m.name)))
    };
    let labels_ok = |labels: &Labels| {
        all_match(matchers, labels)
            && (or_matchers.is_empty() || or_matchers.iter().any(|set| all_match(set, labels)))
    };
    let mut series = Vec::new();
    let mut seen = HashSet::new();
    let mut unnamed_collide = false;
    for (key, labels) in model.select(name_ok, labels_ok) {
        let unnamed: Labels = labels.iter().filter(|(k, _)| k != NAME).cloned().collect();
        unnamed_collide |= !seen.insert(unnamed.clone());
        series.push(Selected {
            key,
            labels: Rc::new(labels),
            unnamed: Rc::new(unnamed),
        });
    }
    Ok(Selection {
        series,
        offset_ms,
        unnamed_collide,
    })
}

fn label_value<'a>(labels: &'a Labels, name: &str) -> &'a str {
    labels
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn prepare_call(model: &MetricsModel, call: &Call) -> Result<Node, EvalError> {
    let args = &call.args.args;
    let arg = |i: usize| -> Result<Node, EvalError> {
        match args.get(i) {
            Some(expr) => prepare_node(model, expr),
            None => Err(EvalError::unsupported(format!(
                "{}() without its arguments",
                call.func.name
            ))),
        }
    };
    Ok(match call.func.name {
        "rate" | "irate" | "increase" | "delta" => {
            let f = match call.func.name {
                "rate" => RangeFn::Rate,
                "irate" => RangeFn::Irate,
                "delta" => RangeFn::Delta,
                _ => RangeFn::Increase,
            };
            match arg(0)? {
                Node::Matrix(selection, range) => Node::Range(f, selection, range),
                _ => {
                    return Err(EvalError::unsupported(format!(
                        "{}() over anything but a range selector",
                        call.func.name
                    )));
                }
            }
        }
        "predict_linear" => match arg(0)? {
            Node::Matrix(selection, range) => {
                let seconds = arg(1)?;
                if seconds.kind() != Kind::Scalar {
                    return Err(EvalError::unsupported(
                        "predict_linear() with anything but a scalar duration",
                    ));
                }
                Node::PredictLinear(selection, range, Box::new(seconds))
            }
            _ => {
                return Err(EvalError::unsupported(
                    "predict_linear() over anything but a range selector",
                ));
            }
        },
        "histogram_quantile" => Node::Quantile(Box::new(arg(0)?), Box::new(arg(1)?)),
        "scalar" => Node::ToScalar(Box::new(arg(0)?)),
        "vector" => Node::ToVector(Box::new(arg(0)?)),
        "time" => Node::Time,
        other => return Err(EvalError::unsupported(format!("the function {other}()"))),
    })
}

fn prepare_aggregate(model: &MetricsModel, agg: &AggregateExpr) -> Result<Node, EvalError> {
    let name = agg.op.to_string();
    let op = match name.as_str() {
        "sum" => AggOp::Sum,
        "avg" => AggOp::Avg,
        "count" => AggOp::Count,
        "max" => AggOp::Max,
        "min" => AggOp::Min,
        other => return Err(EvalError::unsupported(format!("the aggregation {other}"))),
    };
    if agg.param.is_some() {
        return Err(EvalError::unsupported(format!("a parameter to {name}")));
    }
    let grouping = match &agg.modifier {
        None => Grouping::By(Vec::new()),
        Some(LabelModifier::Include(ls)) => Grouping::By(ls.labels.clone()),
        Some(LabelModifier::Exclude(ls)) => Grouping::Without(ls.labels.clone()),
    };
    Ok(Node::Aggregate(
        op,
        grouping,
        Box::new(prepare_node(model, &agg.expr)?),
    ))
}

fn prepare_binary(model: &MetricsModel, b: &BinaryExpr) -> Result<Node, EvalError> {
    let symbol = b.op.to_string();
    let op = match symbol.as_str() {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "%" => BinOp::Mod,
        "^" => BinOp::Pow,
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        ">" => BinOp::Gt,
        "<" => BinOp::Lt,
        ">=" => BinOp::Ge,
        "<=" => BinOp::Le,
        other => return Err(EvalError::unsupported(format!("the {other} operator"))),
    };
    let (return_bool, matching) = match &b.modifier {
        None => (false, Matching::Default),
        Some(m) => {
            match &m.card {
                VectorMatchCardinality::OneToOne => {}
                VectorMatchCardinality::ManyToOne(_) => {
                    return Err(EvalError::unsupported("group_left"));
                }
                VectorMatchCardinality::OneToMany(_) => {
                    return Err(EvalError::unsupported("group_right"));
                }
                VectorMatchCardinality::ManyToMany => {
                    return Err(EvalError::unsupported(format!("the {symbol} operator")));
                }
            }
            let matching = match &m.matching {
                None => Matching::Default,
                Some(LabelModifier::Include(ls)) => Matching::On(ls.labels.clone()),
                Some(LabelModifier::Exclude(ls)) => Matching::Ignoring(ls.labels.clone()),
            };
            (m.return_bool, matching)
        }
    };
    let lhs = prepare_node(model, &b.lhs)?;
    let rhs = prepare_node(model, &b.rhs)?;
    if op.is_comparison()
        && !return_bool
        && lhs.kind() == Kind::Scalar
        && rhs.kind() == Kind::Scalar
    {
        // The parser enforces this too; keep the evaluator total.
        return Err(EvalError::Unsupported(
            "comparisons between scalars must use BOOL modifier".to_owned(),
        ));
    }
    Ok(Node::Binary(Box::new(BinaryNode {
        op,
        lhs,
        rhs,
        return_bool,
        matching,
    })))
}

// ---- evaluation ----------------------------------------------------------------------------

/// Evaluates plans over one model; keeps the per-request memo.
pub(crate) struct Evaluator<'a> {
    model: &'a MetricsModel,
    cx: Cx,
    window: Vec<(i64, f64)>,
    samples: u64,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(model: &'a MetricsModel) -> Self {
        Self {
            model,
            cx: Cx::default(),
            window: Vec::new(),
            samples: 0,
        }
    }

    /// An instant query at `t_ms`.
    pub(crate) fn instant(&mut self, plan: &Plan, t_ms: i64) -> Result<Value, EvalError> {
        self.eval(&plan.0, t_ms)
    }

    /// A range query (a scalar or vector expression) over `start + k·step ≤ end`: one series per
    /// label set, sorted by labels, a scalar as one series without labels.
    pub(crate) fn range(
        &mut self,
        plan: &Plan,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<Vec<Series>, EvalError> {
        let mut index: HashMap<Rc<Labels>, usize> = HashMap::new();
        let mut by_address: HashMap<usize, (Rc<Labels>, usize)> = HashMap::new();
        let mut out: Vec<Series> = Vec::new();
        let step = step_ms.max(1);
        let mut t = start_ms;
        while t <= end_ms {
            match self.eval(&plan.0, t)? {
                Value::Scalar(v) => {
                    if out.is_empty() {
                        out.push(Series {
                            labels: Rc::new(Vec::new()),
                            points: Vec::new(),
                        });
                    }
                    out[0].points.push((t, v));
                }
                Value::Vector(samples) => {
                    for s in samples {
                        // Selectors hand out the same `Rc` at every step: look it up by address
                        // first (the map keeps the `Rc`, so the address cannot be reused).
                        let address = Rc::as_ptr(&s.labels) as usize;
                        let at = match by_address.get(&address) {
                            Some(&(_, at)) => at,
                            None => {
                                let at = match index.get(&s.labels) {
                                    Some(&at) => at,
                                    None => {
                                        index.insert(s.labels.clone(), out.len());
                                        out.push(Series {
                                            labels: s.labels.clone(),
                                            points: Vec::new(),
                                        });
                                        out.len() - 1
                                    }
                                };
                                by_address.insert(address, (s.labels, at));
                                at
                            }
                        };
                        out[at].points.push((t, s.value));
                    }
                }
                // Checked by the caller before evaluating.
                Value::Matrix(_) | Value::String(_) => {}
            }
            t = match t.checked_add(step) {
                Some(next) => next,
                None => break,
            };
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }

    fn eval(&mut self, node: &Node, t: i64) -> Result<Value, EvalError> {
        Ok(match node {
            Node::Number(v) => Value::Scalar(*v),
            Node::Str(s) => Value::String(s.clone()),
            Node::Time => Value::Scalar(t as f64 / 1000.0),
            Node::Instant(sel) => Value::Vector(self.instant_selector(sel, t)?),
            Node::Matrix(sel, range) => Value::Matrix(self.matrix_selector(sel, *range, t)?),
            Node::Range(f, sel, range) => Value::Vector(self.range_function(*f, sel, *range, t)?),
            Node::PredictLinear(sel, range, seconds) => {
                let seconds = self.scalar(seconds, t)?;
                Value::Vector(self.predict_linear(sel, *range, seconds, t)?)
            }
            Node::Aggregate(op, grouping, inner) => {
                let input = self.vector(inner, t)?;
                Value::Vector(aggregate(*op, grouping, input))
            }
            Node::Quantile(phi, inner) => {
                let phi = self.scalar(phi, t)?;
                let input = self.vector(inner, t)?;
                Value::Vector(histogram_quantile(phi, input))
            }
            Node::Binary(b) => self.binary(b, t)?,
            Node::Negate(inner) => match self.eval(inner, t)? {
                Value::Scalar(v) => Value::Scalar(-v),
                Value::Vector(samples) => {
                    let out: Vec<Sample> = samples
                        .into_iter()
                        .map(|s| Sample {
                            labels: drop_name(&s.labels),
                            value: -s.value,
                        })
                        .collect();
                    check_unique(&out)?;
                    Value::Vector(out)
                }
                other => other,
            },
            Node::ToScalar(inner) => {
                let input = self.vector(inner, t)?;
                Value::Scalar(match input.as_slice() {
                    [one] => one.value,
                    _ => f64::NAN,
                })
            }
            Node::ToVector(inner) => {
                let v = self.scalar(inner, t)?;
                Value::Vector(vec![Sample {
                    labels: Rc::new(Vec::new()),
                    value: v,
                }])
            }
        })
    }

    fn vector(&mut self, node: &Node, t: i64) -> Result<Vec<Sample>, EvalError> {
        match self.eval(node, t)? {
            Value::Vector(v) => Ok(v),
            Value::Scalar(_) | Value::Matrix(_) | Value::String(_) => Err(EvalError::Execution(
                "expected an instant vector".to_owned(),
            )),
        }
    }

    fn scalar(&mut self, node: &Node, t: i64) -> Result<f64, EvalError> {
        match self.eval(node, t)? {
            Value::Scalar(v) => Ok(v),
            _ => Err(EvalError::Execution("expected a scalar".to_owned())),
        }
    }

    /// The newest sample at or before `t − offset` within the lookback: the scrape at the grid
    /// point at or before it, unless that scrape failed (a stale marker) or never happened.
    fn instant_selector(&mut self, sel: &Selection, t: i64) -> Result<Vec<Sample>, EvalError> {
        let at = t - sel.offset_ms;
        let grid = at.div_euclid(SCRAPE_MS) * SCRAPE_MS;
        if grid < at - LOOKBACK_MS {
            return Ok(Vec::new());
        }
        self.charge(sel.series.len() as u64)?;
        let mut out = Vec::with_capacity(sel.series.len());
        for s in &sel.series {
            if let Some(value) = self.model.sample(s.key, grid, &mut self.cx) {
                out.push(Sample {
                    labels: s.labels.clone(),
                    value,
                });
            }
        }
        Ok(out)
    }

    /// Samples of one series with timestamps in `[from, to]` (both ends included, as in 2.42).
    fn fill_window(&mut self, key: SeriesKey, from: i64, to: i64) {
        self.window.clear();
        let first = from.div_euclid(SCRAPE_MS) * SCRAPE_MS;
        let mut ts = if first < from {
            first + SCRAPE_MS
        } else {
            first
        };
        while ts <= to {
            if let Some(v) = self.model.sample(key, ts, &mut self.cx) {
                self.window.push((ts, v));
            }
            ts += SCRAPE_MS;
        }
    }

    /// Charges the scrapes of a `range`-wide window over every series of a selection.
    fn charge_windows(&mut self, sel: &Selection, range: i64) -> Result<(), EvalError> {
        let per_series = (range.max(0) / SCRAPE_MS + 1) as u64;
        self.charge(per_series.saturating_mul(sel.series.len() as u64))
    }

    /// Counts samples computed for this request, and stops a query that needs too many.
    fn charge(&mut self, samples: u64) -> Result<(), EvalError> {
        self.samples = self.samples.saturating_add(samples);
        if self.samples > MAX_SAMPLES {
            return Err(EvalError::Execution(
                "query processing would load too many samples into memory in query execution"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    fn matrix_selector(
        &mut self,
        sel: &Selection,
        range: i64,
        t: i64,
    ) -> Result<Vec<Series>, EvalError> {
        self.charge_windows(sel, range)?;
        let end = t - sel.offset_ms;
        let mut out = Vec::new();
        for s in &sel.series {
            self.fill_window(s.key, end - range, end);
            if !self.window.is_empty() {
                out.push(Series {
                    labels: s.labels.clone(),
                    points: self.window.clone(),
                });
            }
        }
        Ok(out)
    }

    fn range_function(
        &mut self,
        f: RangeFn,
        sel: &Selection,
        range: i64,
        t: i64,
    ) -> Result<Vec<Sample>, EvalError> {
        self.charge_windows(sel, range)?;
        let end = t - sel.offset_ms;
        let start = end - range;
        let mut out = Vec::with_capacity(sel.series.len());
        for s in &sel.series {
            self.fill_window(s.key, start, end);
            let value = match f {
                RangeFn::Rate => extrapolated_rate(&self.window, start, end, range, true, true),
                RangeFn::Increase => {
                    extrapolated_rate(&self.window, start, end, range, true, false)
                }
                RangeFn::Delta => extrapolated_rate(&self.window, start, end, range, false, false),
                RangeFn::Irate => instant_rate(&self.window),
            };
            if let Some(value) = value {
                out.push(Sample {
                    labels: s.unnamed.clone(),
                    value,
                });
            }
        }
        if sel.unnamed_collide {
            check_unique(&out)?;
        }
        Ok(out)
    }

    /// `predict_linear`: each series' least-squares line over the window, `seconds` after `t`.
    fn predict_linear(
        &mut self,
        sel: &Selection,
        range: i64,
        seconds: f64,
        t: i64,
    ) -> Result<Vec<Sample>, EvalError> {
        self.charge_windows(sel, range)?;
        let end = t - sel.offset_ms;
        let mut out = Vec::with_capacity(sel.series.len());
        for s in &sel.series {
            self.fill_window(s.key, end - range, end);
            // The line is placed at the evaluation time, offset or not, as Prometheus does.
            if let Some((slope, intercept)) = linear_regression(&self.window, t) {
                out.push(Sample {
                    labels: s.unnamed.clone(),
                    value: slope * seconds + intercept,
                });
            }
        }
        if sel.unnamed_collide {
            check_unique(&out)?;
        }
        Ok(out)
    }

    fn binary(&mut self, b: &BinaryNode, t: i64) -> Result<Value, EvalError> {
        let lhs = self.eval(&b.lhs, t)?;
        let rhs = self.eval(&b.rhs, t)?;
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => {
                let (v, keep) = b.op.apply(l, r);
                Ok(Value::Scalar(if b.op.is_comparison() {
                    if keep { 1.0 } else { 0.0 }
                } else {
                    v
                }))
            }
            (Value::Vector(v), Value::Scalar(s)) => {
                vector_scalar(b, v, s, false).map(Value::Vector)
            }
            (Value::Scalar(s), Value::Vector(v)) => vector_scalar(b, v, s, true).map(Value::Vector),
            (Value::Vector(l), Value::Vector(r)) => vector_vector(b, l, r).map(Value::Vector),
            _ => Err(EvalError::Execution(
                "binary operations need scalars or instant vectors".to_owned(),
            )),
        }
    }
}

/// Prometheus 2.42's `extrapolatedRate` for `rate` (`is_counter`, `is_rate`), `increase`
/// (`is_counter`) and `delta` (neither: a gauge's fall is not a reset, and nothing stops its
/// extrapolation at zero).
fn extrapolated_rate(
    points: &[(i64, f64)],
    range_start: i64,
    range_end: i64,
    range_ms: i64,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    let (&(first_t, first_v), &(last_t, last_v)) = (points.first()?, points.last()?);
    if points.len() < 2 {
        return None;
    }
    let mut result = last_v - first_v;
    if is_counter {
        let mut previous = 0.0;
        for &(_, v) in points {
            if v < previous {
                result += previous;
            }
            previous = v;
        }
    }
    let mut to_start = (first_t - range_start) as f64 / 1000.0;
    let to_end = (range_end - last_t) as f64 / 1000.0;
    let sampled = (last_t - first_t) as f64 / 1000.0;
    let average = sampled / (points.len() - 1) as f64;
    if is_counter && result > 0.0 && first_v >= 0.0 {
        let to_zero = sampled * (first_v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average / 2.0
    };
    result *= interval / sampled;
    if is_rate {
        result /= range_ms as f64 / 1000.0;
    }
    Some(result)
}

/// Prometheus' `linearRegression`: the least-squares `(slope per second, value at
/// intercept_ms)` of the points, x measured from `intercept_ms`; a constant series is exactly
/// flat (no rounding noise), and an infinite constant has no line. `None` under two points.
fn linear_regression(points: &[(i64, f64)], intercept_ms: i64) -> Option<(f64, f64)> {
    let (&(_, first), true) = (points.first()?, points.len() >= 2) else {
        return None;
    };
    if points.iter().all(|&(_, v)| v == first) {
        return Some(if first.is_infinite() {
            (f64::NAN, f64::NAN)
        } else {
            (0.0, first)
        });
    }
    // Kahan-compensated sums, as Prometheus keeps them, so that long windows of large values
    // (bytes) do not lose the slope to rounding.
    let mut sums = [(0.0f64, 0.0f64); 4];
    let mut add = |slot: usize, v: f64| {
        let (sum, c) = &mut sums[slot];
        let t = *sum + v;
        if sum.abs() >= v.abs() {
            *c += (*sum - t) + v;
        } else {
            *c += (v - t) + *sum;
        }
        *sum = t;
    };
    for &(ms, v) in points {
        let x = (ms - intercept_ms) as f64 / 1000.0;
        add(0, x);
        add(1, v);
        add(2, x * v);
        add(3, x * x);
    }
    let n = points.len() as f64;
    let [x, y, xy, x2] = sums.map(|(sum, c)| sum + c);
    let slope = (xy - x * y / n) / (x2 - x * x / n);
    Some((slope, y / n - slope * x / n))
}

/// `irate`: the last two samples, a counter reset counting from zero.
fn instant_rate(points: &[(i64, f64)]) -> Option<f64> {
    let [.., (prev_t, prev_v), (last_t, last_v)] = points else {
        return None;
    };
    let delta = if last_v < prev_v {
        *last_v
    } else {
        last_v - prev_v
    };
    let interval = last_t - prev_t;
    if interval == 0 {
        return None;
    }
    Some(delta / (interval as f64 / 1000.0))
}

fn drop_name(labels: &Rc<Labels>) -> Rc<Labels> {
    if labels.iter().any(|(k, _)| k == NAME) {
        Rc::new(labels.iter().filter(|(k, _)| k != NAME).cloned().collect())
    } else {
        labels.clone()
    }
}

/// Prometheus' "vector cannot contain metrics with the same labelset".
fn check_unique(samples: &[Sample]) -> Result<(), EvalError> {
    if samples.len() < 2 {
        return Ok(());
    }
    let mut seen: HashSet<&Labels> = HashSet::with_capacity(samples.len());
    for s in samples {
        if !seen.insert(&s.labels) {
            return Err(EvalError::Execution(
                "vector cannot contain metrics with the same labelset".to_owned(),
            ));
        }
    }
    Ok(())
}

/// Labels as Go's `labels.Labels.String()` prints them: `{a="x", b="y"}`.
fn labels_string(labels: &Labels) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&go_quote(v.as_bytes()));
    }
    out.push('}');
    out
}

fn aggregate(op: AggOp, grouping: &Grouping, input: Vec<Sample>) -> Vec<Sample> {
    struct Group {
        labels: Rc<Labels>,
        value: f64,
        count: f64,
    }
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for s in input {
        let key: Labels = s
            .labels
            .iter()
            .filter(|(k, _)| match grouping {
                Grouping::By(names) => names.iter().any(|n| n == k),
                Grouping::Without(names) => k != NAME && !names.iter().any(|n| n == k),
            })
            .cloned()
            .collect();
        let v = s.value;
        match index.get(&key) {
            None => {
                index.insert(key.clone(), groups.len());
                groups.push(Group {
                    labels: Rc::new(key),
                    value: v,
                    count: 1.0,
                });
            }
            Some(&at) => {
                let g = &mut groups[at];
                g.count += 1.0;
                match op {
                    AggOp::Sum => g.value += v,
                    AggOp::Count => {}
                    AggOp::Max => {
                        if g.value < v || g.value.is_nan() {
                            g.value = v;
                        }
                    }
                    AggOp::Min => {
                        if g.value > v || g.value.is_nan() {
                            g.value = v;
                        }
                    }
                    AggOp::Avg => {
                        // Prometheus 2.42's incremental mean, infinities kept as they are.
                        if g.value.is_infinite() {
                            if v.is_infinite() && (g.value > 0.0) == (v > 0.0) {
                                continue;
                            }
                            if !v.is_infinite() && !v.is_nan() {
                                continue;
                            }
                        }
                        g.value += v / g.count - g.value / g.count;
                    }
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|g| Sample {
            labels: g.labels,
            value: if op == AggOp::Count { g.count } else { g.value },
        })
        .collect()
}

/// `histogram_quantile(φ, buckets)`: per label set without `le` (and the name), Prometheus'
/// `bucketQuantile`.
fn histogram_quantile(phi: f64, input: Vec<Sample>) -> Vec<Sample> {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    type Buckets = Vec<(f64, f64)>;
    let mut groups: Vec<(Rc<Labels>, Buckets)> = Vec::new();
    for s in input {
        let le = label_value(&s.labels, "le");
        let Some(bound) = parse_bound(le) else {
            continue;
        };
        let key: Labels = s
            .labels
            .iter()
            .filter(|(k, _)| k != NAME && k != "le")
            .cloned()
            .collect();
        let at = match index.get(&key) {
            Some(&at) => at,
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((Rc::new(key), Vec::new()));
                groups.len() - 1
            }
        };
        groups[at].1.push((bound, s.value));
    }
    groups
        .into_iter()
        .map(|(labels, mut buckets)| Sample {
            labels,
            value: bucket_quantile(phi, &mut buckets),
        })
        .collect()
}

/// An `le` value as Go's `strconv.ParseFloat` reads it.
fn parse_bound(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// Prometheus' `bucketQuantile`: sorted, coalesced, made monotonic, then linear interpolation
/// inside the bucket holding rank φ·count.
fn bucket_quantile(q: f64, buckets: &mut [(f64, f64)]) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    match buckets.last() {
        Some(&(bound, _)) if bound == f64::INFINITY => {}
        _ => return f64::NAN,
    }
    // Coalesce equal bounds.
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for &(bound, count) in buckets.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == bound => last.1 += count,
            _ => merged.push((bound, count)),
        }
    }
    // Ensure monotonic counts.
    let mut max = f64::NEG_INFINITY;
    for b in merged.iter_mut() {
        if b.1 > max {
            max = b.1;
        } else if b.1 < max {
            b.1 = max;
        }
    }
    if merged.len() < 2 {
        return f64::NAN;
    }
    let observations = merged[merged.len() - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let searchable = merged.len() - 1;
    let b = merged[..searchable].partition_point(|x| x.1 < rank);
    if b == searchable {
        return merged[merged.len() - 2].0;
    }
    if b == 0 && merged[0].0 <= 0.0 {
        return merged[0].0;
    }
    let mut bucket_start = 0.0;
    let bucket_end = merged[b].0;
    let mut count = merged[b].1;
    if b > 0 {
        bucket_start = merged[b - 1].0;
        count -= merged[b - 1].1;
        rank -= merged[b - 1].1;
    }
    bucket_start + (bucket_end - bucket_start) * (rank / count)
}

fn vector_scalar(
    b: &BinaryNode,
    samples: Vec<Sample>,
    scalar: f64,
    scalar_on_left: bool,
) -> Result<Vec<Sample>, EvalError> {
    let mut out = Vec::with_capacity(samples.len());
    let drop = !b.op.is_comparison() || b.return_bool;
    let mut names = HashSet::new();
    for s in samples {
        let (l, r) = if scalar_on_left {
            (scalar, s.value)
        } else {
            (s.value, scalar)
        };
        let (mut value, mut keep) = b.op.apply(l, r);
        if b.op.is_comparison() && scalar_on_left {
            value = r;
        }
        if b.return_bool {
            value = if keep { 1.0 } else { 0.0 };
            keep = true;
        }
        if !keep {
            continue;
        }
        let labels = if drop {
            names.insert(label_value(&s.labels, NAME).to_owned());
            drop_name(&s.labels)
        } else {
            s.labels
        };
        out.push(Sample { labels, value });
    }
    if names.len() > 1 {
        check_unique(&out)?;
    }
    Ok(out)
}

/// The signature two sides match on.
fn signature(labels: &Labels, matching: &Matching) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| match matching {
            Matching::Default => k != NAME,
            Matching::On(names) => names.iter().any(|n| n == k),
            Matching::Ignoring(names) => k != NAME && !names.iter().any(|n| n == k),
        })
        .cloned()
        .collect()
}

fn vector_vector(
    b: &BinaryNode,
    lhs: Vec<Sample>,
    rhs: Vec<Sample>,
) -> Result<Vec<Sample>, EvalError> {
    if lhs.is_empty() || rhs.is_empty() {
        return Ok(Vec::new());
    }
    let mut right: HashMap<Labels, &Sample> = HashMap::with_capacity(rhs.len());
    for r in &rhs {
        let sig = signature(&r.labels, &b.matching);
        if let Some(previous) = right.get(&sig) {
            return Err(EvalError::Execution(format!(
                "found duplicate series for the match group {} on the right hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                labels_string(&sig),
                labels_string(&r.labels),
                labels_string(&previous.labels)
            )));
        }
        right.insert(sig, r);
    }
    let mut matched: HashSet<Labels> = HashSet::new();
    let mut out = Vec::new();
    for l in &lhs {
        let sig = signature(&l.labels, &b.matching);
        let Some(r) = right.get(&sig) else {
            continue;
        };
        let (mut value, mut keep) = b.op.apply(l.value, r.value);
        if b.return_bool {
            value = if keep { 1.0 } else { 0.0 };
            keep = true;
        }
        if !keep {
            continue;
        }
        if !matched.insert(sig) {
            return Err(EvalError::Execution(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
                    .to_owned(),
            ));
        }
        let drop = !b.op.is_comparison() || b.return_bool;
        let labels: Labels = l
            .labels
            .iter()
            .filter(|(k, _)| !(drop && k == NAME))
            .filter(|(k, _)| match &b.matching {
                Matching::Default => true,
                Matching::On(names) => names.iter().any(|n| n == k),
                Matching::Ignoring(names) => !names.iter().any(|n| n == k),
            })
            .cloned()
            .collect();
        out.push(Sample {
            labels: Rc::new(labels),
            value,
        });
    }
    check_unique(&out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points.to_vec()
    }

    #[test]
    fn bucket_quantile_interpolates_like_prometheus() {
        let inf = f64::INFINITY;
        // 100 observations: 50 ≤ 0.1, 90 ≤ 0.2, 100 ≤ +Inf.
        let mut buckets = b(&[(0.1, 50.0), (0.2, 90.0), (inf, 100.0)]);
        assert_eq!(bucket_quantile(0.5, &mut buckets), 0.1);
        let p75 = bucket_quantile(0.75, &mut buckets);
        assert!((p75 - (0.1 + 0.1 * (25.0 / 40.0))).abs() < 1e-12, "{p75}");
        // In the +Inf bucket: the highest finite bound.
        assert_eq!(bucket_quantile(0.99, &mut buckets), 0.2);
        assert!(bucket_quantile(0.5, &mut b(&[(0.1, 0.0), (inf, 0.0)])).is_nan());
        assert!(bucket_quantile(0.5, &mut b(&[(0.1, 3.0)])).is_nan());
        assert_eq!(bucket_quantile(-1.0, &mut buckets), f64::NEG_INFINITY);
        assert_eq!(bucket_quantile(2.0, &mut buckets), inf);
    }

    #[test]
    fn rate_extrapolates_like_prometheus() {
        // Samples exactly on both window ends: no extrapolation.
        let points = [
            (0, 0.0),
            (15_000, 15.0),
            (30_000, 30.0),
            (45_000, 45.0),
            (60_000, 60.0),
        ];
        assert_eq!(
            extrapolated_rate(&points, 0, 60_000, 60_000, true, true),
            Some(1.0)
        );
        assert_eq!(
            extrapolated_rate(&points, 0, 60_000, 60_000, true, false),
            Some(60.0)
        );
        // A counter reset counts the value before it.
        let reset = [
            (0, 100.0),
            (15_000, 115.0),
            (30_000, 5.0),
            (45_000, 20.0),
            (60_000, 35.0),
        ];
        let r = extrapolated_rate(&reset, 0, 60_000, 60_000, true, true).unwrap();
        assert!((r - 50.0 / 60.0).abs() < 1e-12, "{r}");
        assert_eq!(instant_rate(&reset), Some(1.0));
        assert_eq!(
            extrapolated_rate(&points[..1], 0, 60_000, 60_000, true, true),
            None
        );
    }

    #[test]
    fn delta_is_a_gauges_extrapolated_change() {
        // Last minus first, no resets: 2 − 10 = −8 (a counter would have added 10 + 7).
        let gauge = [
            (0, 10.0),
            (15_000, 4.0),
            (30_000, 7.0),
            (45_000, 1.0),
            (60_000, 2.0),
        ];
        assert_eq!(
            extrapolated_rate(&gauge, 0, 60_000, 60_000, false, false),
            Some(-8.0)
        );
        // Samples 5 s after the start and 10 s before the end, 15 s apart: both gaps are under
        // 1.1 × 15 s, so the 45 s sampled stretch to the whole 60 s: −30 × 60 / 45 = −40.
        let falling = [
            (5_000, 100.0),
            (20_000, 90.0),
            (35_000, 80.0),
            (50_000, 70.0),
        ];
        assert_eq!(
            extrapolated_rate(&falling, 0, 60_000, 60_000, false, false),
            Some(-40.0)
        );
        // A gap to the start over 1.1 × 15 s extrapolates half an interval (7.5 s): 6 × 37.5 / 30
        // = 7.5. `increase` would stop at the counter's zero, 5 s before the first sample:
        // 6 × 35 / 30 = 7.
        let rising = [(30_000, 1.0), (45_000, 4.0), (60_000, 7.0)];
        assert_eq!(
            extrapolated_rate(&rising, 0, 60_000, 60_000, false, false),
            Some(7.5)
        );
        let increase = extrapolated_rate(&rising, 0, 60_000, 60_000, true, false).unwrap();
        assert!((increase - 7.0).abs() < 1e-12, "{increase}");
    }

    #[test]
    fn linear_regression_fits_least_squares_at_the_evaluation_time() {
        // On a line: 1/3 per second, 30 at t = 0; in 60 s, 50.
        let line = [(-60_000, 10.0), (-30_000, 20.0), (0, 30.0)];
        let (slope, intercept) = linear_regression(&line, 0).unwrap();
        assert!((slope - 1.0 / 3.0).abs() < 1e-12, "{slope}");
        assert!((intercept - 30.0).abs() < 1e-12, "{intercept}");
        // Off a line: x = −30, −20, −10, 0 (mean −15), y = 0, 10, 5, 15 (mean 7.5);
        // Σ(x−x̄)(y−ȳ) = 200, Σ(x−x̄)² = 500: slope 0.4, value at 0: 7.5 + 0.4 × 15 = 13.5.
        let scattered = [(-30_000, 0.0), (-20_000, 10.0), (-10_000, 5.0), (0, 15.0)];
        let (slope, intercept) = linear_regression(&scattered, 0).unwrap();
        assert!((slope - 0.4).abs() < 1e-12, "{slope}");
        assert!((intercept - 13.5).abs() < 1e-12, "{intercept}");
        // The same points seen from 10 s later: the line's value there, 17.5.
        let (_, later) = linear_regression(&scattered, 10_000).unwrap();
        assert!((later - 17.5).abs() < 1e-12, "{later}");
        // Large values (bytes) over six hours keep their slope: −1,536 per second.
        let bytes: Vec<(i64, f64)> = (0..=1_440)
            .map(|k| (k * 15_000, 1.9e12 - 1_536.0 * (k * 15) as f64))
            .collect();
        let (slope, _) = linear_regression(&bytes, 21_600_000).unwrap();
        assert!((slope + 1_536.0).abs() < 1e-6, "{slope}");
        // Constant: exactly flat; an infinite constant has no line; one point is not a line.
        assert_eq!(
            linear_regression(&[(0, 5.0), (15_000, 5.0)], 0),
            Some((0.0, 5.0))
        );
        let (s, i) = linear_regression(&[(0, f64::INFINITY), (15_000, f64::INFINITY)], 0).unwrap();
        assert!(s.is_nan() && i.is_nan());
        assert_eq!(linear_regression(&[(0, 5.0)], 0), None);
        assert_eq!(linear_regression(&[], 0), None);
    }

    #[test]
    fn labels_print_like_go() {
        let labels = vec![
            ("a".to_owned(), "x\"y".to_owned()),
            ("b".to_owned(), "z".to_owned()),
        ];
        assert_eq!(labels_string(&labels), r#"{a="x\"y", b="z"}"#);
    }
}
