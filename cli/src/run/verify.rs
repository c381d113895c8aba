//! Runs every case in order on one model instance and compares each output
//! with ExecuTorch's: `|got - expected| <= atol + rtol * |expected|`.

use std::path::Path;
use std::process::Command;

use etch_codegen::Summary;

use super::cases::{self, decode, Cases};
use super::{harness, Result, Setup};

pub struct Report {
    pub atol: f64,
    pub rtol: f64,
    pub rows: Vec<Row>,
}

pub struct Row {
    pub case: usize,
    pub method: String,
    pub output: usize,
    pub elements: usize,
    pub max_abs_err: f64,
    pub mean_abs_err: f64,
    /// Worst `err / (atol + rtol*|expected|)`: at most 1 passes.
    pub worst_ratio: f64,
    pub pass: bool,
    /// The output's raw little-endian bytes, for bit-for-bit comparisons of two builds.
    pub bytes: Vec<u8>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.pass)
    }

    pub fn print(&self) {
        println!(
            "{:>4}  {:<10} {:>6}  {:>12}  {:>12}  {:>12}  {:>10}  result",
            "case", "method", "output", "max abs err", "mean abs err", "worst ratio", "elements"
        );
        for r in &self.rows {
            println!(
                "{:>4}  {:<10} {:>6}  {:>12.3e}  {:>12.3e}  {:>12.3}  {:>10}  {}",
                r.case, r.method, r.output, r.max_abs_err, r.mean_abs_err, r.worst_ratio, r.elements,
                if r.pass { "ok" } else { "FAIL" }
            );
        }
        println!("tolerance: |got - expected| <= {:e} + {:e} * |expected| (worst ratio <= 1 passes)", self.atol, self.rtol);
        let failures = self.rows.iter().filter(|r| !r.pass).count();
        if failures == 0 {
            println!("verify: all {} outputs pass", self.rows.len());
        } else {
            println!("verify: {failures} of {} outputs FAIL", self.rows.len());
        }
    }
}

pub fn verify(model: &Path, dir: &Path, atol: Option<f64>, rtol: Option<f64>, setup: &Setup) -> Result<Report> {
    let cases = cases::load(dir, atol.zip(rtol))?;
    let (atol, rtol) = (atol.unwrap_or(cases.atol), rtol.unwrap_or(cases.rtol));
    let h = harness::build(model, setup, |s| check(s, &cases))?;

    // Inputs go to the work dir as raw little-endian files, one folder per case.
    let mut list = String::new();
    for (k, case) in cases.cases.iter().enumerate() {
        let run_dir = h.dir.join("cases").join(k.to_string());
        std::fs::create_dir_all(&run_dir)?;
        cases::write_inputs(&run_dir, &case.inputs)?;
        for j in 0..case.expected.len() {
            let _ = std::fs::remove_file(run_dir.join(format!("out{j}.bin")));
        }
        list.push_str(&format!("{}\t{}\n", run_dir.display(), case.method));
    }
    let list_path = h.dir.join("cases.txt");
    std::fs::write(&list_path, list)?;
    let status = Command::new(&h.binary).arg("verify").arg(&list_path).env("ETCH_THREADS", setup.threads.max(1).to_string()).status()?;
    if !status.success() {
        return Err(format!("the harness failed ({status})").into());
    }

    let mut rows = Vec::new();
    for (k, case) in cases.cases.iter().enumerate() {
        let m = h.summary.methods.iter().find(|m| m.name == case.method).ok_or("method vanished")?;
        if case.expected.len() != m.outputs.len() {
            return Err(format!("case {k}: {} expected outputs, `{}` returns {}", case.expected.len(), m.name, m.outputs.len()).into());
        }
        for (j, (exp, t)) in case.expected.iter().zip(&m.outputs).enumerate() {
            let bytes = std::fs::read(h.dir.join("cases").join(k.to_string()).join(format!("out{j}.bin")))?;
            let got = decode(&bytes, t.dtype.rust());
            let exp = exp.to_f64();
            let (max_err, ratio) = compare(&got, &exp, atol, rtol);
            let pass = got.len() == exp.len() && ratio <= 1.0;
            rows.push(Row {
                case: k,
                method: case.method.clone(),
                output: j,
                elements: exp.len(),
                max_abs_err: max_err,
                mean_abs_err: mean_abs(&got, &exp),
                worst_ratio: ratio,
                pass,
                bytes,
            });
        }
    }
    Ok(Report { atol, rtol, rows })
}

/// Every case names a method of the program and gives inputs of its shapes
/// and as many expected outputs as it returns: checked before any build.
pub fn check(summary: &Summary, cases: &Cases) -> Result<()> {
    for (k, case) in cases.cases.iter().enumerate() {
        let m = summary
            .methods
            .iter()
            .find(|m| m.name == case.method)
            .ok_or_else(|| format!("case {k}: the program has no method `{}`", case.method))?;
        if case.inputs.len() != m.inputs.len() {
            return Err(format!("case {k}: {} inputs given, `{}` takes {}", case.inputs.len(), m.name, m.inputs.len()).into());
        }
        for (i, (a, t)) in case.inputs.iter().zip(&m.inputs).enumerate() {
            // A runtime-sized input is checked by the generated method itself.
            let dynamic = m.dynamic_inputs.get(i) == Some(&true) && a.shape.len() == t.shape.len();
            if (a.numel() != t.numel() && !dynamic) || a.dtype() != t.dtype.rust() {
                return Err(format!(
                    "case {k} input {i}: {} {:?} given, `{}` takes {} {:?}",
                    a.dtype(), a.shape, m.name, t.dtype, t.shape
                )
                .into());
            }
        }
        if !case.expected.is_empty() && case.expected.len() != m.outputs.len() {
            return Err(format!("case {k}: {} expected outputs, `{}` returns {}", case.expected.len(), m.name, m.outputs.len()).into());
        }
    }
    Ok(())
}

/// Mean of `|got - exp|`, skipping elements NaN in both.
fn mean_abs(got: &[f64], exp: &[f64]) -> f64 {
    if got.len() != exp.len() {
        return f64::INFINITY;
    }
    let errs: Vec<f64> = got.iter().zip(exp).filter(|(g, e)| !(g.is_nan() && e.is_nan())).map(|(g, e)| (g - e).abs()).collect();
    errs.iter().sum::<f64>() / errs.len().max(1) as f64
}

/// Max abs error, and the worst `err / (atol + rtol*|exp|)`; NaN where expected is NaN matches.
fn compare(got: &[f64], exp: &[f64], atol: f64, rtol: f64) -> (f64, f64) {
    if got.len() != exp.len() {
        return (f64::INFINITY, f64::INFINITY);
    }
    let mut max_err: f64 = 0.0;
    let mut ratio: f64 = 0.0;
    for (&g, &e) in got.iter().zip(exp) {
        if g.is_nan() && e.is_nan() || g == e {
            continue;
        }
        let err = (g - e).abs();
        let err = if err.is_nan() { f64::INFINITY } else { err };
        max_err = max_err.max(err);
        ratio = ratio.max(err / (atol + rtol * e.abs()));
    }
    (max_err, ratio)
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn compare_applies_both_tolerances() {
        assert_eq!(compare(&[1.0], &[1.0], 0.0, 0.0), (0.0, 0.0));
        let (err, ratio) = compare(&[1.1], &[1.0], 0.05, 0.05);
        assert!((err - 0.1).abs() < 1e-12 && ratio > 0.99 && ratio < 1.01);
        assert!(compare(&[f64::NAN], &[1.0], 1.0, 1.0).1.is_infinite());
        assert!(compare(&[1.0], &[1.0, 2.0], 1.0, 1.0).1.is_infinite());
    }

    #[test]
    fn mean_abs_skips_shared_nans() {
        assert_eq!(super::mean_abs(&[1.0, 2.0, f64::NAN], &[1.5, 1.0, f64::NAN]), 0.75);
        assert!(super::mean_abs(&[1.0], &[]).is_infinite());
    }
}
