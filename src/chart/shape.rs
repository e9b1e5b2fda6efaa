//! The typed shapes of records on the wire, declared once per kind of record.
//!
//! `record_kinds!` (used by `entities.rs`) turns one declaration into the [`EntityDef`]
//! the ledger works from and the typed structs the API parses requests into and answers
//! with, so the catalogue, the request types and the response types cannot disagree on a
//! field. The ledger stays generic over `EntityDef`; these types live only at the edge.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::{record, ChartError};
use crate::ledger::schema::{EntityDef, FieldKind};
use crate::ledger::Value;

/// A field name from its Rust identifier: `r#type` is the field `type`.
pub const fn unraw(s: &'static str) -> &'static str {
    match s.as_bytes() {
        [b'r', b'#', rest @ ..] => match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(_) => panic!("field names are UTF-8"),
        },
        _ => s,
    }
}

macro_rules! string_shape {
    ($(#[doc = $doc:literal])* $name:ident, $schema:tt) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

string_shape!(
    /// A calendar date, `YYYY-MM-DD`; impossible dates are refused.
    Date,
    {"type": "string", "format": "date", "description": "A calendar date, YYYY-MM-DD."}
);
string_shape!(
    /// A date and time: RFC 3339, or a local `YYYY-MM-DDTHH:MM[:SS]`, stored as RFC 3339 UTC.
    DateTime,
    {"type": "string", "description": "RFC 3339 (2026-03-01T09:30:00Z); a local YYYY-MM-DDTHH:MM[:SS] or a bare date is taken as UTC. Answers are RFC 3339 UTC."}
);
string_shape!(
    /// Bytes as standard base64 text.
    Base64,
    {"type": "string", "contentEncoding": "base64"}
);

/// A structured field (a list of names, an address): any JSON list or object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Structured(pub Json);

impl JsonSchema for Structured {
    fn schema_name() -> Cow<'static, str> {
        "Structured".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["array", "object"], "description": "A JSON list or object."})
    }
}

/// A column that answers never carry (a document's bytes have their own command,
/// `document.content`): absent on the wire, and `false` in the schema, which says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Withheld;

impl Serialize for Withheld {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Withheld {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Withheld, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Withheld)
    }
}

impl JsonSchema for Withheld {
    fn schema_name() -> Cow<'static, str> {
        "Withheld".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::from(false)
    }
}

/// Lists the values a field accepts (`validate::CHOICES`) as the property's `enum`, so
/// the schema tells the UI what validation will take.
pub struct Choices(pub &'static str);

impl schemars::transform::Transform for Choices {
    fn transform(&mut self, schema: &mut Schema) {
        let Some(Json::Object(props)) = schema.get_mut("properties") else {
            return;
        };
        for (name, p) in props.iter_mut() {
            if let (Some(allowed), Json::Object(p)) = (super::validate::choices(self.0, name), p) {
                let mut values: Vec<Json> = allowed.iter().map(|v| Json::from(*v)).collect();
                values.push(Json::Null);
                p.insert("enum".into(), Json::Array(values));
            }
        }
    }
}

/// Whether a response column is left out of the answer.
pub trait Column {
    fn omitted(&self) -> bool;
}

impl<T> Column for Option<T> {
    fn omitted(&self) -> bool {
        false
    }
}

impl Column for Withheld {
    fn omitted(&self) -> bool {
        true
    }
}

/// Keeps "absent" (leave the field as it is) apart from `null` (clear it) in an edit.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The typed fields of one kind of record (every field but `patient`).
pub trait RecordFields: DeserializeOwned + Serialize + JsonSchema {
    /// The answer's shape for this kind.
    type Record: DeserializeOwned + Serialize + JsonSchema;
    const DEF: &'static EntityDef;

    /// The fields present in the request, as the ledger's values, normalised as the
    /// change stores them (text trimmed, dates checked, times in UTC).
    fn into_values(self) -> Result<Vec<(String, Value)>, ChartError>;
}

/// One present field as a ledger value, through the same conversion every edit uses.
pub fn field_value<T: Serialize>(
    name: &str,
    kind: FieldKind,
    v: Option<T>,
) -> Result<Value, ChartError> {
    match v {
        None => Ok(Value::Null),
        Some(v) => {
            let json = serde_json::to_value(v)
                .map_err(|e| ChartError::invalid(name, &format!("cannot be stored: {e}")))?;
            record::value_from_json(name, kind, &json)
        }
    }
}

/// A request type: parsed from the caller's JSON once, naming the field that does not fit.
pub trait Request: Sized {
    fn from_json(input: Json) -> Result<Self, ChartError>;
}

impl<T: DeserializeOwned> Request for T {
    fn from_json(input: Json) -> Result<T, ChartError> {
        parse(input)
    }
}

/// Parses a request into its typed shape once, naming the field that does not fit.
pub fn parse<T: DeserializeOwned>(input: Json) -> Result<T, ChartError> {
    if !input.is_object() {
        return Err(ChartError::invalid(
            "request",
            "the request must be a JSON object, e.g. {\"patient\": \"…\"}",
        ));
    }
    serde_path_to_error::deserialize::<_, T>(input).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // serde names a missing or unknown key in the message, not in the path.
        let field = if path == "." {
            message
                .split('`')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| "request".into())
        } else {
            path
        };
        ChartError::invalid(&field, &plain(&message))
    })
}

/// serde's "invalid type: string \"x\", expected f64" in the words the form uses:
/// "must be a number (got string \"x\")".
fn plain(message: &str) -> String {
    if message.starts_with("UUID parsing failed") {
        return "must be a record id (a UUID)".into();
    }
    let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    else {
        return message.to_string();
    };
    let Some((got, expected)) = rest.split_once(", expected ") else {
        return message.to_string();
    };
    let expected = match expected {
        "f64" | "f32" => "a number",
        "i64" | "i32" | "u64" | "u32" | "u16" | "u8" => "a whole number",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        "a string" => "text",
        e if e.starts_with("struct ") || e == "a map" => "an object",
        e => e,
    };
    format!("must be {expected} (got {got})")
}

/// A typed answer from a row read as JSON: the columns the type names, nothing else.
pub fn answer<T: DeserializeOwned>(row: Map<String, Json>) -> Result<T, ChartError> {
    serde_path_to_error::deserialize::<_, T>(Json::Object(row)).map_err(|e| {
        ChartError::Shape(format!(
            "a stored row does not fit its answer type at {}: {}",
            e.path(),
            e.inner()
        ))
    })
}

/// `kind.add`: the patient and the new record's fields.
#[derive(Debug, Clone)]
pub struct RecordAdd<F> {
    pub patient: Uuid,
    pub fields: F,
}

/// `kind.update`: which record, the version read, and the fields to change.
#[derive(Debug, Clone)]
pub struct RecordUpdate<F> {
    pub id: Uuid,
    pub version: Vec<Uuid>,
    pub fields: F,
}

/// Takes the named control keys off a request before its fields are parsed with
/// `deny_unknown_fields` (serde's `flatten` would let unknown fields through).
fn split(input: Json, keys: &[&str]) -> Result<(Json, Json), ChartError> {
    let Json::Object(mut fields) = input else {
        return Err(ChartError::invalid(
            "request",
            "the request must be a JSON object, e.g. {\"patient\": \"…\"}",
        ));
    };
    let mut control = Map::new();
    for k in keys {
        if let Some(v) = fields.remove(*k) {
            control.insert(k.to_string(), v);
        }
    }
    Ok((Json::Object(control), Json::Object(fields)))
}

#[derive(Deserialize)]
struct AddControl {
    patient: Uuid,
}

#[derive(Deserialize)]
struct UpdateControl {
    id: Uuid,
    /// Checked by the edit itself, after the record's state and fields: an edit of a
    /// record entered in error says so first.
    #[serde(default)]
    version: Vec<Uuid>,
}

impl<F: RecordFields> Request for RecordAdd<F> {
    fn from_json(input: Json) -> Result<RecordAdd<F>, ChartError> {
        let (control, fields) = split(input, &["patient"])?;
        let c: AddControl = parse(control)?;
        Ok(RecordAdd {
            patient: c.patient,
            fields: parse(fields)?,
        })
    }
}

impl<F: RecordFields> Request for RecordUpdate<F> {
    fn from_json(input: Json) -> Result<RecordUpdate<F>, ChartError> {
        let (control, fields) = split(input, &["id", "version"])?;
        let c: UpdateControl = parse(control)?;
        Ok(RecordUpdate {
            id: c.id,
            version: c.version,
            fields: parse(fields)?,
        })
    }
}

/// `F`'s object schema with extra required properties in front.
fn with_control(mut fields: Schema, description: &str, control: &[(&str, Schema, &str)]) -> Schema {
    let obj = fields.ensure_object();
    obj.insert("description".into(), Json::from(description));
    let mut props = Map::new();
    for (name, schema, description) in control {
        let mut s = schema.clone();
        if !description.is_empty() {
            s.insert("description".into(), Json::from(*description));
        }
        props.insert(name.to_string(), s.to_value());
    }
    if let Some(Json::Object(p)) = obj.remove("properties") {
        props.extend(p);
    }
    obj.insert("properties".into(), Json::Object(props));
    let mut required: Vec<Json> = control.iter().map(|c| Json::from(c.0)).collect();
    if let Some(Json::Array(r)) = obj.remove("required") {
        required.extend(r);
    }
    obj.insert("required".into(), Json::Array(required));
    fields
}

fn kind_name<F: RecordFields>() -> String {
    F::schema_name().trim_end_matches("Fields").to_string()
}

impl<F: RecordFields> JsonSchema for RecordAdd<F> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Add", kind_name::<F>()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let fields = F::json_schema(generator);
        let patient = generator.subschema_for::<Uuid>();
        let what = format!(
            "`{}.add`: the patient, and the new record's fields; unknown fields are refused.",
            F::DEF.name
        );
        with_control(
            fields,
            &what,
            &[(
                "patient",
                patient,
                "The patient whose chart gets the record.",
            )],
        )
    }
}

impl<F: RecordFields> JsonSchema for RecordUpdate<F> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Update", kind_name::<F>()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let fields = F::json_schema(generator);
        let id = generator.subschema_for::<Uuid>();
        let version = generator.subschema_for::<Vec<Uuid>>();
        let what = format!(
            "`{}.update`: the record, the version read, and the fields to change (`null` clears one); unknown fields are refused.",
            F::DEF.name
        );
        with_control(
            fields,
            &what,
            &[
                ("id", id, "The record to change."),
                ("version", version, "The `version` from the read the edit was made on, so that an edit made meanwhile elsewhere is kept and flagged, not overwritten."),
            ],
        )
    }
}

/// The Rust type of a field in a request.
macro_rules! field_ty {
    (Text) => {
        String
    };
    (Int) => {
        i64
    };
    (Real) => {
        f64
    };
    (Bool) => {
        bool
    };
    (Json) => {
        $crate::chart::shape::Structured
    };
    (Bytes) => {
        $crate::chart::shape::Base64
    };
    (Date) => {
        $crate::chart::shape::Date
    };
    (DateTime) => {
        $crate::chart::shape::DateTime
    };
    (Ref) => {
        uuid::Uuid
    };
}

/// The Rust type of a column in an answer.
macro_rules! column_ty {
    (Bytes) => { $crate::chart::shape::Withheld };
    ($kind:ident) => { Option<$crate::chart::shape::field_ty!($kind)> };
}

/// Declares kinds of record: for each, the `EntityDef` static, the typed `…Fields`
/// (request: every field but `patient`, unknown fields refused) and `…Record` (answer:
/// the fields plus the columns every projection row has).
macro_rules! record_kinds {
    ($(
        $(#[doc = $doc:literal])*
        $stat:ident: $name:literal in $table:literal, $fields:ident, $record:ident,
        $(patient: $patient:ident,)?
        { $($(#[doc = $fdoc:literal])* $f:ident: $kind:ident),* $(,)? }
    )*) => {$(
        $(#[doc = $doc])*
        pub static $stat: EntityDef = EntityDef {
            name: $name,
            table: $table,
            fields: &[
                $(FieldDef { name: "patient", kind: $patient },)?
                $(FieldDef { name: $crate::chart::shape::unraw(stringify!($f)), kind: $kind },)*
            ],
        };

        #[doc = concat!("The fields of a `", $name, "` record in a request; each is optional, `null` clears it.")]
        #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[schemars(transform = $crate::chart::shape::Choices($name))]
        pub struct $fields {
            $(
                $(#[doc = $fdoc])*
                #[serde(default, deserialize_with = "crate::chart::shape::present", skip_serializing_if = "Option::is_none")]
                pub $f: Option<Option<$crate::chart::shape::field_ty!($kind)>>,
            )*
        }

        impl $crate::chart::shape::RecordFields for $fields {
            type Record = $record;
            const DEF: &'static EntityDef = &$stat;

            fn into_values(self) -> Result<Vec<(String, $crate::ledger::Value)>, $crate::chart::ChartError> {
                let mut out = Vec::new();
                $(
                    if let Some(v) = self.$f {
                        let name = $crate::chart::shape::unraw(stringify!($f));
                        out.push((name.to_string(), $crate::chart::shape::field_value(name, $kind, v)?));
                    }
                )*
                Ok(out)
            }
        }

        #[doc = concat!("A record of kind `", $name, "` as answers carry it.")]
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[schemars(transform = $crate::chart::shape::Choices($name))]
        pub struct $record {
            pub id: uuid::Uuid,
            $(
                /// The patient whose chart holds the record.
                #[serde(default)]
                pub patient: $crate::chart::shape::column_ty!($patient),
            )?
            $(
                $(#[doc = $fdoc])*
                #[serde(default, skip_serializing_if = "crate::chart::shape::Column::omitted")]
                pub $f: $crate::chart::shape::column_ty!($kind),
            )*
            #[serde(flatten)]
            pub columns: $crate::chart::shape::Columns,
        }
    )*};
}

/// The columns every projection row has, and the version for optimistic edits.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Columns {
    /// The change that created the record.
    pub created_change: Uuid,
    /// Milliseconds since 1970 (the commit's hybrid logical clock).
    pub created_at: i64,
    /// The user id of the author.
    pub created_by: String,
    /// Milliseconds since 1970, of the last change.
    pub updated_at: i64,
    pub updated_by: String,
    /// Marked entered in error (kept, never deleted).
    pub retracted: bool,
    pub retract_reason: Option<String>,
    /// The heads of the record's change history: pass it back on update. Answers about
    /// one record carry it; lists and summaries leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Vec<Uuid>>,
}

pub(crate) use {column_ty, field_ty, record_kinds};

/// A request's fields as the ledger's values, in request order.
pub type FieldValues = Vec<(String, Value)>;

/// Adds a type's schema to a generator, returning a reference to it.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// One kind of record's typed shapes, behind plain function pointers so the dispatcher
/// can pick a kind by name at run time and still parse and answer through its types.
pub struct Shape {
    pub def: &'static EntityDef,
    /// `kind.add`: the patient and the fields' values.
    pub parse_add: fn(Json) -> Result<RecordAdd<FieldValues>, ChartError>,
    /// `kind.update`: the record, the version read and the fields' values.
    pub parse_update: fn(Json) -> Result<RecordUpdate<FieldValues>, ChartError>,
    /// A row read as JSON, through the kind's `…Record` type.
    pub answer: fn(Map<String, Json>) -> Result<Json, ChartError>,
    pub add_schema: SchemaFn,
    pub update_schema: SchemaFn,
    pub record_schema: SchemaFn,
    pub list_schema: SchemaFn,
}

fn parse_add<F: RecordFields>(input: Json) -> Result<RecordAdd<FieldValues>, ChartError> {
    let r = RecordAdd::<F>::from_json(input)?;
    Ok(RecordAdd {
        patient: r.patient,
        fields: r.fields.into_values()?,
    })
}

fn parse_update<F: RecordFields>(input: Json) -> Result<RecordUpdate<FieldValues>, ChartError> {
    let r = RecordUpdate::<F>::from_json(input)?;
    Ok(RecordUpdate {
        id: r.id,
        version: r.version,
        fields: r.fields.into_values()?,
    })
}

fn answer_json<F: RecordFields>(row: Map<String, Json>) -> Result<Json, ChartError> {
    let typed: F::Record = answer(row)?;
    serde_json::to_value(typed).map_err(|e| ChartError::Shape(e.to_string()))
}

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

impl Shape {
    pub const fn of<F: RecordFields>() -> Shape {
        Shape {
            def: F::DEF,
            parse_add: parse_add::<F>,
            parse_update: parse_update::<F>,
            answer: answer_json::<F>,
            add_schema: schema_of::<RecordAdd<F>>,
            update_schema: schema_of::<RecordUpdate<F>>,
            record_schema: schema_of::<F::Record>,
            list_schema: schema_of::<Vec<F::Record>>,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::entities::{ObservationFields, ProblemFields};
    use crate::chart::vitals::LabsForm;
    use serde_json::json;

    fn field_of(e: ChartError) -> (String, String) {
        match e {
            ChartError::Invalid { field, message } => (field, message),
            other => panic!("not invalid input: {other}"),
        }
    }

    /// The field named is the one that does not fit: a wrong type, an unknown key, a
    /// missing key, or one inside a list.
    #[test]
    fn a_request_that_does_not_fit_names_the_field() {
        let cases = [
            (json!({"onset_date": 5}), "onset_date"),
            (json!({"colour": "red"}), "colour"),
        ];
        for (input, field) in cases {
            let e = parse::<ProblemFields>(input).expect_err("refused");
            assert_eq!(field_of(e).0, field);
        }
        let e =
            RecordAdd::<ProblemFields>::from_json(json!({"code": "I10"})).expect_err("no patient");
        assert_eq!(field_of(e).0, "patient");
        let e = parse::<LabsForm>(
            json!({"patient": Uuid::nil(), "results": [{"code": "x"}, {"value_num": "high"}]}),
        )
        .expect_err("bad result");
        assert_eq!(field_of(e).0, "results[1].value_num");
        let e = parse::<LabsForm>(json!({"patient": Uuid::nil(), "results": "none"}))
            .expect_err("not a list");
        assert_eq!(
            field_of(e),
            (
                "results".into(),
                "must be a list (got string \"none\")".into()
            )
        );
        let e = parse::<ProblemFields>(json!([1])).expect_err("not an object");
        assert!(field_of(e).1.contains("JSON object"));
    }

    /// Absent leaves a field as it is; `null` clears it; a value is normalised as every
    /// edit stores it.
    #[test]
    fn absent_null_and_values_stay_apart() {
        let f: ObservationFields =
            parse(json!({"unit": null, "display": "  Glucose ", "effective": "2026-03-01T09:30"}))
                .unwrap();
        let values = f.into_values().unwrap();
        assert_eq!(
            values,
            vec![
                ("display".to_string(), Value::from("Glucose")),
                ("unit".to_string(), Value::Null),
                ("effective".to_string(), Value::from("2026-03-01T09:30:00Z")),
            ]
        );
    }
}
