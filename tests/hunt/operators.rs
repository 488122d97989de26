//! Tabular operators of the local engine (issue 9), each against its KQL page: `parse` and
//! `parse-where` (parse-operator.md, parse-where-operator.md), …

use super::engine::{column, error, run};

#[test]
fn parse_extracts_typed_columns_and_nulls_a_row_that_does_not_match() {
    let result = run(
        r#"datatable(s: string) ["x=1, y=abc", "x=oops, y=def", "nothing"]
        | parse s with "x=" x: long ", y=" y"#,
    );
    assert_eq!(column(&result, "x"), ["1", "", ""]);
    // Strict: one column not of its type nulls every column of the row.
    assert_eq!(column(&result, "y"), ["abc", "", ""]);
    assert_eq!(result.column_names(), ["s", "x", "y"]);
    // Relaxed: only the column that is not of its type.
    let relaxed = run(r#"datatable(s: string) ["x=oops, y=def"]
        | parse kind=relaxed s with "x=" x: long ", y=" y"#);
    assert_eq!(column(&relaxed, "x"), [""]);
    assert_eq!(column(&relaxed, "y"), ["def"]);
}

#[test]
fn parse_columns_end_at_the_first_delimiter_and_the_last_takes_the_rest() {
    let result = run(r#"print s = "a,b,c" | parse s with x "," y"#);
    assert_eq!(column(&result, "x"), ["a"]);
    assert_eq!(column(&result, "y"), ["b,c"]);
    // The pattern is anchored: without a trailing *, text after the last delimiter belongs to
    // no column and the row does not match.
    let anchored = run(r#"print s = "k=v; more" | parse s with "k=" v ";""#);
    assert_eq!(column(&anchored, "v"), [""]);
    let starred = run(r#"print s = "k=v; more" | parse s with "k=" v ";" *"#);
    assert_eq!(column(&starred, "v"), ["v"]);
}

#[test]
fn parse_where_keeps_only_the_rows_that_match() {
    let result = run(r#"datatable(s: string) ["id=7", "id=x", "other"]
        | parse-where s with "id=" id: int"#);
    assert_eq!(column(&result, "id"), ["7"]);
}

#[test]
fn parse_regex_is_greedy_unless_flagged_and_replaces_columns_in_place() {
    let text = r#"print s = "Name=Pipe, total=27, lock=1""#;
    let greedy = run(&format!(
        r#"{text} | parse kind=regex s with * "Name=" name "," *"#
    ));
    assert_eq!(column(&greedy, "name"), ["Pipe, total=27"]);
    let lazy = run(&format!(
        r#"{text} | parse kind=regex flags=Ui s with * "NAME=" name "," *"#
    ));
    assert_eq!(column(&lazy, "name"), ["Pipe"]);
    let replaced = run(&format!(r#"{text} | parse s with "Name=" s "," *"#));
    assert_eq!(replaced.column_names(), ["s"]);
    assert_eq!(column(&replaced, "s"), ["Pipe"]);
}

#[test]
fn parse_mistakes_get_a_message_with_a_position() {
    let bad_regex = error(r#"print s = "a" | parse kind=regex s with "(" x"#);
    assert!(
        bad_regex.message.contains("regular expression"),
        "{bad_regex}"
    );
    assert!(bad_regex.position.is_some());
    let bad_type = error(r#"print s = "a" | parse s with "a" x: numberish"#);
    assert!(
        bad_type.message.contains("'numberish' is not a KQL type"),
        "{bad_type}"
    );
    let flags = error(r#"print s = "a" | parse kind=simple flags=i s with "a" x"#);
    assert!(flags.message.contains("kind=regex"), "{flags}");
}
