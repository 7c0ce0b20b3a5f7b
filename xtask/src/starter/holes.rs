//! The holes a starter leaves: in a reference crate, a function body that
//! begins with a `// starter: …` comment is the lesson's core. The starter
//! keeps the comment's words as a TODO and replaces the rest of the body
//! with `todo!()`, so the crate builds and the learner sees what to write.
//!
//! A function that earlier lessons' behaviour goes through (the list's sort,
//! say) cannot panic without failing earlier criteria: its comment then ends
//! with `// stand-in: …`, the code that does what the lesson before did, and
//! the starter keeps that instead of `todo!()`.
//!
//! A line of code that ends with a `// starter: …` comment (a route in a
//! route table, say) is left out of the starter, its comment kept as a TODO.

/// The marker that opens a hole, as the first line of a function body.
pub const MARKER: &str = "// starter:";
/// The line of a marker's comment where the stand-in code begins.
pub const STAND_IN: &str = "// stand-in:";

/// One hole cut, for the summary `start` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hole {
    /// 1-based line of the marker in the generated file.
    pub line: usize,
    pub todo: String,
}

/// `source` with each marked body cut down to its TODO and `todo!()`, and the holes.
pub fn cut(source: &str, lesson: u8) -> Result<(String, Vec<Hole>), String> {
    let (source, mut holes) = cut_lines(source, lesson);
    let (out, bodies) = cut_bodies(&source, lesson)?;
    holes.extend(bodies);
    holes.sort_by_key(|hole| hole.line);
    Ok((out, holes))
}

/// Each line of code ending in a marker becomes the marker's TODO.
fn cut_lines(source: &str, lesson: u8) -> (String, Vec<Hole>) {
    let mut out = String::with_capacity(source.len());
    let mut holes = Vec::new();
    for line in source.split_inclusive('\n') {
        let code = line.trim_start();
        match line.find(MARKER) {
            Some(at) if !code.starts_with("//") => {
                let indent = &line[..line.len() - code.len()];
                let todo = line[at + MARKER.len()..].trim().to_owned();
                holes.push(Hole {
                    line: out.matches('\n').count() + 1,
                    todo: todo.clone(),
                });
                out.push_str(&format!("{indent}// TODO(lesson {lesson}): {todo}\n"));
            }
            _ => out.push_str(line),
        }
    }
    (out, holes)
}

/// Each marked function body cut to its TODO and `todo!()` (or its stand-in).
fn cut_bodies(source: &str, lesson: u8) -> Result<(String, Vec<Hole>), String> {
    let mut out = String::with_capacity(source.len());
    let mut holes = Vec::new();
    let mut rest = source;
    while let Some(at) = find_marker(rest) {
        let (before, from_marker) = rest.split_at(at);
        out.push_str(before);
        let indent: String = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        // The marker's words run over its comment lines, then the stand-in's code.
        let mut todo = Vec::new();
        let mut stand_in: Option<Vec<String>> = None;
        let mut consumed = 0;
        for (index, line) in from_marker.split_inclusive('\n').enumerate() {
            let text = line.trim();
            if let Some(code) = text.strip_prefix(STAND_IN) {
                stand_in = Some(vec![code.trim().to_owned()]);
                consumed += line.len();
                continue;
            }
            let words = if index == 0 {
                text.strip_prefix(MARKER)
            } else {
                text.strip_prefix("//").filter(|_| !text.starts_with("///"))
            };
            match (words, &mut stand_in) {
                (Some(code), Some(lines)) => {
                    lines.push(code.strip_prefix(' ').unwrap_or(code).to_owned());
                    consumed += line.len();
                }
                (Some(words), None) => {
                    todo.push(words.trim().to_owned());
                    consumed += line.len();
                }
                (None, _) => break,
            }
        }
        let body = &from_marker[consumed..];
        let end = closing_brace(body).ok_or_else(|| {
            let line = out.lines().count() + 1;
            format!("line {line}: a `{MARKER}` hole must be inside a function body")
        })?;
        let todo = todo.join(" ");
        holes.push(Hole {
            line: out.matches('\n').count() + 1,
            todo: todo.clone(),
        });
        // The TODO wrapped under the marker's indentation, as rustfmt would leave it.
        let width = 96_usize.saturating_sub(indent.len() + 3).max(40);
        let text = format!("TODO(lesson {lesson}): {todo}");
        for (index, line) in crate::text::wrap(&text, width).iter().enumerate() {
            let lead = if index == 0 { "" } else { indent.as_str() };
            out.push_str(&format!("{lead}// {line}\n"));
        }
        match stand_in {
            Some(lines) => {
                out.push_str(&format!(
                    "{indent}// (Until you do, this does what lesson {} did.)\n",
                    lesson - 1
                ));
                for line in lines {
                    out.push_str(&format!("{indent}{line}\n"));
                }
            }
            None => out.push_str(&format!("{indent}todo!(\"lesson {lesson}\")\n")),
        }
        // Keep the closing brace's own indentation.
        let tail = &body[..end];
        let closing_indent = tail.rsplit('\n').next().unwrap_or_default();
        if closing_indent.trim().is_empty() {
            out.push_str(closing_indent);
        }
        rest = &body[end..];
    }
    out.push_str(rest);
    Ok((out, holes))
}

/// Where a marker starts, as the first non-blank text of a line.
fn find_marker(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(MARKER) {
            return Some(offset + line.len() - line.trim_start().len());
        }
        offset += line.len();
    }
    None
}

/// The offset of the `}` that closes the block `text` is inside, skipping
/// strings, characters and comments.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0_i32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !is_ident(bytes[i - 1])) =>
            {
                let hashes = bytes[i + 1..].iter().take_while(|b| **b == b'#').count();
                if bytes.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                i = start + text[start..].find(&close)? + close.len() - 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            // A character literal ('x', '\n', '{'), not a lifetime ('a).
            b'\'' if bytes.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_body_becomes_its_todo() {
        let source = r##"fn keep() -> u8 { 1 }

fn core(x: u8) -> String {
    // starter: format the number,
    // in braces.
    let s = format!("{{{x}}}");
    let c = '}';
    if x > 0 { s } else { r#"}"#.to_owned() + &c.to_string() }
}

fn after() {}
"##;
        let (out, holes) = cut(source, 5).unwrap();
        assert_eq!(
            out,
            r#"fn keep() -> u8 { 1 }

fn core(x: u8) -> String {
    // TODO(lesson 5): format the number, in braces.
    todo!("lesson 5")
}

fn after() {}
"#
        );
        assert_eq!(
            holes,
            [Hole {
                line: 4,
                todo: "format the number, in braces.".into()
            }]
        );
    }

    #[test]
    fn a_stand_in_replaces_the_body_instead_of_todo() {
        let source = "fn sorted(q: Q) -> Q {\n    // starter: sort by `sort`.\n    // stand-in: q\n    //     .oldest_first()\n    q.by(sort)\n}\n";
        let (out, _) = cut(source, 7).unwrap();
        assert_eq!(
            out,
            "fn sorted(q: Q) -> Q {\n    // TODO(lesson 7): sort by `sort`.\n    // (Until you do, this does what lesson 6 did.)\n    q\n        .oldest_first()\n}\n"
        );
    }

    #[test]
    fn a_marked_line_of_code_is_left_out() {
        let source = "Router::new()\n    .route(\"/a\", get(a))\n    .route(\"/b\", put(b)) // starter: route PUT /b to `b`\n";
        let (out, holes) = cut(source, 11).unwrap();
        assert_eq!(
            out,
            "Router::new()\n    .route(\"/a\", get(a))\n    // TODO(lesson 11): route PUT /b to `b`\n"
        );
        assert_eq!(holes[0].line, 3);
    }

    #[test]
    fn a_source_without_markers_is_unchanged() {
        let source = "fn a<'x>(s: &'x str) -> &'x str { s }\n";
        assert_eq!(cut(source, 3).unwrap(), (source.to_owned(), vec![]));
    }

    #[test]
    fn a_marker_outside_a_body_is_an_error() {
        assert!(cut("// starter: nothing\n", 3).is_err());
    }
}
