//! The fields of every HTTP source's event, in one struct: serde skips what a source does not
//! send, and [`RawEvent::source`] tells the source from what it did send.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::HttpSource;

/// An HTTP event as any source sends it. Maps are kept as lists, in the event's order: a
/// query string rebuilt from them is in the order the caller wrote it.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEvent {
    pub(super) version: Option<String>,
    /// Payload 2.0: the path as the caller sent it (encoded), and the query string. VPC
    /// Lattice's version 1 events are snake case.
    #[serde(alias = "raw_path")]
    pub(super) raw_path: Option<String>,
    pub(super) raw_query_string: Option<String>,
    pub(super) cookies: Option<Vec<String>>,
    /// REST API and ALB: the method and the path (decoded).
    pub(super) http_method: Option<String>,
    pub(super) path: Option<String>,
    /// VPC Lattice: the method.
    pub(super) method: Option<String>,
    pub(super) headers: Option<Fields>,
    pub(super) multi_value_headers: Option<Fields>,
    #[serde(alias = "query_string_parameters")]
    pub(super) query_string_parameters: Option<Fields>,
    pub(super) multi_value_query_string_parameters: Option<Fields>,
    pub(super) path_parameters: Option<Fields>,
    pub(super) stage_variables: Option<Fields>,
    pub(super) body: Option<String>,
    #[serde(default, alias = "is_base64_encoded")]
    pub(super) is_base64_encoded: bool,
    #[serde(default)]
    pub(super) request_context: serde_json::Value,
}

impl RawEvent {
    /// The source that sent this event, from the fields only it sends; `None` for an event no
    /// HTTP source sends.
    pub(super) fn source(&self) -> Option<HttpSource> {
        let context = &self.request_context;
        if context.get("http").is_some() && self.raw_path.is_some() {
            let domain = context["domainName"].as_str().unwrap_or_default();
            return Some(if domain.contains(".lambda-url.") {
                HttpSource::FunctionUrl
            } else {
                HttpSource::HttpApi
            });
        }
        if context.get("elb").is_some() && self.http_method.is_some() {
            return Some(HttpSource::Alb {
                multi_value: self.multi_value_headers.is_some(),
            });
        }
        if self.method.is_some() {
            if self.version.as_deref() == Some("2.0") && self.path.is_some() {
                return Some(HttpSource::VpcLattice);
            }
            if self.version.is_none() && self.raw_path.is_some() {
                return Some(HttpSource::VpcLatticeV1);
            }
        }
        // A WebSocket API's events have `requestContext.connectionId` (and `$connect` even an
        // `httpMethod`): they are not HTTP requests to answer.
        if self.http_method.is_some()
            && self.path.is_some()
            && context.get("connectionId").is_none()
        {
            return Some(HttpSource::RestApi);
        }
        None
    }
}

/// A JSON object of strings, of lists of strings, or of nulls (API Gateway sends
/// `"queryStringParameters": null` and null values), as `(name, values)` in the event's order.
#[derive(Default, Debug, PartialEq)]
pub(super) struct Fields(pub(super) Vec<(String, Vec<String>)>);

impl Fields {
    /// Each name with its first value, in order.
    pub(super) fn first_values(self) -> Vec<(String, String)> {
        self.0
            .into_iter()
            .filter_map(|(name, values)| Some((name, values.into_iter().next()?)))
            .collect()
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of strings or of lists of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((name, FieldValues(values))) = map.next_entry::<String, FieldValues>()? {
            fields.push((name, values));
        }
        Ok(Fields(fields))
    }
}

/// One field's value: a string, a list of strings, or null (no value).
struct FieldValues(Vec<String>);

impl<'de> Deserialize<'de> for FieldValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldValuesVisitor)
    }
}

struct FieldValuesVisitor;

impl<'de> Visitor<'de> for FieldValuesVisitor {
    type Value = FieldValues;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, a list of strings or null")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<FieldValues, E> {
        Ok(FieldValues(vec![value.to_owned()]))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<FieldValues, E> {
        Ok(FieldValues(vec![value]))
    }

    fn visit_unit<E: de::Error>(self) -> Result<FieldValues, E> {
        Ok(FieldValues(Vec::new()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FieldValues, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = seq.next_element::<Option<String>>()? {
            values.extend(value);
        }
        Ok(FieldValues(values))
    }
}
