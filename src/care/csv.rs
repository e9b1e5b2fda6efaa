//! RFC 4180 CSV for the practice-wide lists (due lists, recall lists,
//! registries): CRLF line ends, fields with a comma, a quote or a line break
//! quoted, quotes doubled.
//!
//! A cell that a spreadsheet would run as a formula (`=`, `@`, or `+`/`-`
//! followed by something other than a number or phone number) gets a leading
//! apostrophe, because these files are opened in spreadsheets and patient
//! names are typed by people.

/// Appends one record.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field(out, field.as_ref());
    }
    out.push_str("\r\n");
}

fn write_field(out: &mut String, field: &str) {
    let guarded;
    let field = if is_formula(field) {
        guarded = format!("'{field}");
        guarded.as_str()
    } else {
        field
    };
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn is_formula(field: &str) -> bool {
    let Some(first) = field.chars().next() else {
        return false;
    };
    match first {
        '=' | '@' | '\t' | '\r' => true,
        '+' | '-' => !field[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || " ()-.".contains(c)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let mut out = String::new();
        write_record(&mut out, &["plain", "a,b", "say \"hi\"", "two\nlines", ""]);
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    }

    #[test]
    fn formulas_are_defused_but_phone_numbers_are_not() {
        let mut out = String::new();
        write_record(
            &mut out,
            &[
                "=HYPERLINK(\"x\")",
                "+1 (555) 010-2000",
                "-5",
                "@SUM",
                "+cmd",
            ],
        );
        assert_eq!(
            out,
            "\"'=HYPERLINK(\"\"x\"\")\",+1 (555) 010-2000,-5,'@SUM,'+cmd\r\n"
        );
    }
}
