//! The Markdown table every section adds its rows to, and how it is printed.

use crate::stats::percentile;
use crate::systems::Kind;
use crate::{Bench, Results};

#[derive(Default)]
pub struct Table(pub Vec<[String; 4]>);

impl Table {
    /// A row where lower is better: the ratio is baseline / product.
    pub fn lower(&mut self, name: impl Into<String>, product: f64, baseline: f64, unit: &str, digits: usize) {
        self.0.push([
            name.into(),
            format!("{product:.digits$} {unit}"),
            format!("{baseline:.digits$} {unit}"),
            times(baseline / product),
        ]);
    }

    /// A row where higher is better: the ratio is product / baseline.
    pub fn higher(&mut self, name: impl Into<String>, product: f64, baseline: f64, unit: &str) {
        self.0.push([
            name.into(),
            format!("{product:.0} {unit}"),
            format!("{baseline:.0} {unit}"),
            times(product / baseline),
        ]);
    }

    pub fn text(&mut self, name: impl Into<String>, product: String, baseline: String, ratio: String) {
        self.0.push([name.into(), product, baseline, ratio]);
    }
}

/// How many times better the product is (below 1: the baseline is better).
pub fn times(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{ratio:.2}×")
    }
}

pub fn pcts(samples: &[f64], ps: &[f64]) -> String {
    ps.iter().map(|p| format!("{:.1}", percentile(samples, *p))).collect::<Vec<_>>().join(" / ")
}

/// The table, preceded by how to read it and followed by any failed sends.
pub fn print(bench: &Bench, results: &Results) {
    let failed: Vec<String> = bench
        .systems
        .iter()
        .filter(|s| results.errors.get(&s.pid).copied().unwrap_or(0) > 0)
        .map(|s| {
            let name = if s.kind == Kind::Product { "product" } else { "baseline" };
            format!("{name}: {} failed sends", results.errors[&s.pid])
        })
        .collect();
    println!(
        "The last column says how many times better the Rust `server` does (Node ÷ Rust for times, CPU, memory and \
         size; Rust ÷ Node for throughput): below 1, the Node baseline does better.\n"
    );
    println!("| measurement | Rust `server` | Node baseline | Rust advantage |\n|---|---|---|---|");
    for [name, product, baseline, ratio] in &results.table.0 {
        println!("| {name} | {product} | {baseline} | {ratio} |");
    }
    if !failed.is_empty() {
        println!("\nErrors during the run: {}.", failed.join("; "));
    }
}
