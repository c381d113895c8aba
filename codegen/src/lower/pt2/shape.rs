//! Sizes at their bounds: a symbolic size (`s31`, `2*s31`) is planned at the
//! largest value its range constraints allow, as ExecuTorch plans a bounded
//! dynamic tensor at its upper bound.

use std::collections::BTreeMap;

use crate::pt2::Size;

pub struct Bounds {
    max: BTreeMap<String, i64>,
}

/// Largest bound etch plans for: a dim beyond it is refused.
const MAX_DIM: i64 = 1 << 31;

impl Bounds {
    pub fn new(ranges: &BTreeMap<String, (i64, Option<i64>)>) -> Self {
        Self { max: ranges.iter().filter_map(|(s, &(_, hi))| Some((s.clone(), hi?))).collect() }
    }

    /// The sizes at their bounds, and whether any is symbolic.
    pub fn sizes(&self, sizes: &[Size]) -> Result<(Vec<usize>, bool), String> {
        let mut out = Vec::with_capacity(sizes.len());
        let mut dynamic = false;
        for s in sizes {
            let v = match s {
                Size::Int(v) => *v,
                Size::Expr(e) => {
                    dynamic = true;
                    self.eval(e)?
                }
            };
            if !(0..=MAX_DIM).contains(&v) {
                return Err(format!("size {v} is out of range"));
            }
            out.push(v as usize);
        }
        Ok((out, dynamic))
    }

    /// An expression's value with every symbol at its upper bound.
    pub fn eval(&self, e: &str) -> Result<i64, String> {
        let tokens = tokenize(&plain(e))?;
        let mut p = Parser { t: &tokens, i: 0, b: self, depth: 0 };
        let v = p.sum()?;
        if p.i != tokens.len() {
            return Err(format!("cannot read size expression `{e}`"));
        }
        Ok(v)
    }
}

/// `Symbol('s31', positive=True, integer=True)` (how torch writes an input's own size) → `s31`.
fn plain(e: &str) -> String {
    let mut out = String::new();
    let mut rest = e;
    while let Some(i) = rest.find("Symbol('") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "Symbol('".len()..];
        let Some(q) = after.find('\'') else { return e.to_string() };
        out.push_str(&after[..q]);
        let Some(close) = after[q..].find(')') else { return e.to_string() };
        rest = &after[q + close + 1..];
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(char),
}

fn tokenize(e: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = e.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let mut v: i64 = 0;
            while i < cs.len() && cs[i].is_ascii_digit() {
                v = v.checked_mul(10).and_then(|v| v.checked_add(i64::from(cs[i] as u8 - b'0'))).ok_or("number overflows")?;
                i += 1;
            }
            out.push(Tok::Num(v));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(cs[start..i].iter().collect()));
        } else if "+-*/(),".contains(c) {
            out.push(Tok::Op(c));
            i += 1;
        } else {
            return Err(format!("unexpected `{c}` in size expression `{e}`"));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
    b: &'a Bounds,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Op(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut v = self.product()?;
        loop {
            if self.eat('+') {
                v = v.checked_add(self.product()?).ok_or("overflow")?;
            } else if self.eat('-') {
                v = v.checked_sub(self.product()?).ok_or("overflow")?;
            } else {
                return Ok(v);
            }
        }
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut v = self.atom()?;
        loop {
            if self.eat('*') {
                v = v.checked_mul(self.atom()?).ok_or("overflow")?;
            } else if self.eat('/') {
                self.eat('/');
                let d = self.atom()?;
                v = v.checked_div_euclid(d).ok_or("division by zero in a size")?;
            } else {
                return Ok(v);
            }
        }
    }

    fn atom(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("size expression nests too deeply".into());
        }
        let r = match self.t.get(self.i).cloned() {
            Some(Tok::Num(v)) => {
                self.i += 1;
                Ok(v)
            }
            Some(Tok::Op('-')) => {
                self.i += 1;
                self.atom().map(|v| -v)
            }
            Some(Tok::Op('(')) => {
                self.i += 1;
                let v = self.sum()?;
                if !self.eat(')') {
                    return Err("unbalanced parentheses in a size".into());
                }
                Ok(v)
            }
            Some(Tok::Name(n)) if n == "Max" || n == "Min" => {
                self.i += 1;
                if !self.eat('(') {
                    return Err(format!("`{n}` without arguments"));
                }
                let mut v = self.sum()?;
                while self.eat(',') {
                    let w = self.sum()?;
                    v = if n == "Max" { v.max(w) } else { v.min(w) };
                }
                if !self.eat(')') {
                    return Err("unbalanced parentheses in a size".into());
                }
                Ok(v)
            }
            Some(Tok::Name(n)) => {
                self.i += 1;
                self.b.max.get(&n).copied().ok_or_else(|| format!("symbol `{n}` has no upper bound (etch needs bounded dynamic dims: give torch.export.Dim a max)"))
            }
            _ => Err("cannot read a size expression".into()),
        };
        self.depth -= 1;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> Bounds {
        Bounds::new(&[("s31".to_string(), (1, Some(8)))].into_iter().collect())
    }

    #[test]
    fn expressions_at_their_bounds() {
        let b = bounds();
        assert_eq!(b.eval("s31"), Ok(8));
        assert_eq!(b.eval("Symbol('s31', positive=True, integer=True)"), Ok(8));
        assert_eq!(b.eval("2*s31 + 1"), Ok(17));
        assert_eq!(b.eval("Max(1, s31 - 2)"), Ok(6));
        assert!(b.eval("s0").is_err());
        assert!(b.eval("((((").is_err());
        assert!(b.eval(&"(".repeat(1000)).is_err());
        assert!(b.eval("99999999999999999999").is_err());
    }
}
