//! Parser for the Python dict literal in a NumPy `.npy` header, e.g.
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.

/// The three keys of a `.npy` header.
#[derive(Debug, PartialEq)]
pub(crate) struct Header {
    /// The dtype string, e.g. `'<f8'`.
    pub(crate) descr: String,
    /// Whether the data is stored column-major.
    pub(crate) fortran_order: bool,
    /// The array dimensions.
    pub(crate) shape: Vec<usize>,
}

/// A value of the header dict literal.
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

impl Header {
    /// Parses the Python dict literal of a `.npy` header.
    pub(crate) fn parse(text: &str) -> std::result::Result<Self, String> {
        let mut p = Parser { s: text.as_bytes(), pos: 0 };
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        p.expect(b'{')?;
        loop {
            if p.eat(b'}') {
                break;
            }
            let key = match p.value()? {
                Value::Str(k) => k,
                _ => return Err("dict keys must be strings".into()),
            };
            p.expect(b':')?;
            match (key.as_str(), p.value()?) {
                ("descr", Value::Str(s)) => descr = Some(s),
                ("fortran_order", Value::Bool(b)) => fortran = Some(b),
                ("shape", Value::Tuple(t)) => shape = Some(t),
                ("descr" | "fortran_order" | "shape", _) => return Err(format!("bad value for '{key}'")),
                _ => {} // unknown keys are ignored
            }
            if !p.eat(b',') {
                p.expect(b'}')?;
                break;
            }
        }
        p.skip_ws();
        if p.pos != p.s.len() {
            return Err("unexpected text after the dict".into());
        }
        Ok(Self {
            descr: descr.ok_or("missing 'descr'")?,
            fortran_order: fortran.ok_or("missing 'fortran_order'")?,
            shape: shape.ok_or("missing 'shape'")?,
        })
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        let hit = self.s.get(self.pos) == Some(&c);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.pos))
        }
    }

    fn value(&mut self) -> std::result::Result<Value, String> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        match rest.first() {
            Some(&q @ (b'\'' | b'"')) => {
                let end = rest[1..].iter().position(|&c| c == q).ok_or("unterminated string")?;
                self.pos += end + 2;
                Ok(Value::Str(String::from_utf8_lossy(&rest[1..=end]).into_owned()))
            }
            Some(b'(') => {
                self.pos += 1;
                let mut dims = Vec::new();
                while !self.eat(b')') {
                    self.skip_ws();
                    let digits = self.s[self.pos..].iter().take_while(|c| c.is_ascii_digit()).count();
                    let tok = std::str::from_utf8(&self.s[self.pos..self.pos + digits]).unwrap_or("");
                    dims.push(
                        tok.parse::<usize>().map_err(|_| format!("bad dimension at byte {}", self.pos))?,
                    );
                    self.pos += digits;
                    self.eat(b'L'); // Python 2 long suffix
                    if !self.eat(b',') {
                        self.expect(b')')?;
                        break;
                    }
                }
                Ok(Value::Tuple(dims))
            }
            _ if rest.starts_with(b"True") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            _ if rest.starts_with(b"False") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            _ => Err(format!("unexpected value at byte {}", self.pos)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_headers() {
        let h = Header::parse("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 4), }  \n").unwrap();
        assert_eq!((h.descr.as_str(), h.fortran_order, &h.shape[..]), ("<f8", true, &[3, 4][..]));
        let h =
            Header::parse("{\"shape\": (), \"x\": 'y', \"fortran_order\": False, \"descr\": '|u1'}").unwrap();
        assert_eq!((h.descr.as_str(), h.fortran_order, &h.shape[..]), ("|u1", false, &[][..]));
        for bad in [
            "",
            "{'descr': '<f8', 'fortran_order': False}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, x)}",
            "{'descr': '<f8, 'fortran_order': False, 'shape': (3,)}",
            "{'descr': 8, 'fortran_order': False, 'shape': (3,)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} extra",
        ] {
            assert!(Header::parse(bad).is_err(), "{bad}");
        }
    }
}
