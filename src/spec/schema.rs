//! The JSON Schema of the YAML format, for editors (yaml-language-server) and CI linters.

use super::yaml::Document;

/// The JSON Schema of the YAML format, pretty-printed.
pub fn json_schema() -> Result<String, serde_json::Error> {
    let schema = schemars::schema_for!(Document);
    serde_json::to_string_pretty(&schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn schema() -> Value {
        serde_json::from_str(&json_schema().expect("writes")).expect("the schema is JSON")
    }

    #[test]
    fn the_schema_describes_the_format() {
        let schema = schema();
        assert_eq!(schema["title"], "tollgate usage plans (format 1)");
        assert_eq!(schema["additionalProperties"], false);
        let plan = &schema["$defs"]["UsagePlan"];
        assert_eq!(plan["required"], serde_json::json!(["name"]));
        assert_eq!(plan["additionalProperties"], false);
        assert!(plan["properties"]["description"]["description"]
            .as_str()
            .is_some_and(|text| text.contains("absent or empty")));
    }

    #[test]
    fn the_schema_has_minimums_and_the_periods() {
        let schema = schema();
        let defs = &schema["$defs"];
        assert_eq!(defs["Throttle"]["properties"]["rateLimit"]["minimum"], 0.0);
        assert_eq!(defs["Throttle"]["properties"]["burstLimit"]["minimum"], 0);
        assert_eq!(defs["Grant"]["properties"]["remaining"]["minimum"], 0);
        for (def, field) in [
            ("Throttle", "burstLimit"),
            ("Quota", "limit"),
            ("Grant", "remaining"),
        ] {
            assert_eq!(
                defs[def]["properties"][field]["maximum"],
                i64::from(i32::MAX),
                "{field}"
            );
        }
        let tags = &defs["UsagePlan"]["properties"]["tags"];
        assert_eq!(tags["propertyNames"]["maxLength"], 128);
        assert_eq!(tags["additionalProperties"]["maxLength"], 256);
        assert_eq!(tags["maxProperties"], 50);
        let periods: Vec<&str> = defs["Period"]["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|variant| variant["const"].as_str())
            .collect();
        assert_eq!(periods, vec!["DAY", "WEEK", "MONTH"]);
        assert!(
            defs["ApiStage"]["properties"]["throttle"]["propertyNames"]["pattern"]
                .as_str()
                .is_some_and(|pattern| pattern.contains("GET"))
        );
    }

    #[test]
    fn adopt_names_a_cloudformation_stack_by_its_tag() {
        let schema = schema();
        let plan = &schema["$defs"]["UsagePlan"]["properties"]["adopt"];
        assert!(plan.to_string().contains("Adopt"), "{plan:#}");
        let adopt = &schema["$defs"]["Adopt"];
        assert_eq!(
            adopt["required"],
            serde_json::json!(["cloudFormationStack"])
        );
        assert_eq!(adopt["additionalProperties"], false);
        assert!(adopt["properties"]["cloudFormationStack"]["description"]
            .as_str()
            .is_some_and(|text| text.contains("aws:cloudformation:stack-name")));
    }

    #[test]
    fn stages_and_keys_are_given_by_id_or_by_name() {
        let schema = schema();
        let stage = &schema["$defs"]["ApiStage"];
        assert_eq!(
            stage["oneOf"],
            serde_json::json!([{ "required": ["apiId"] }, { "required": ["api"] }])
        );
        assert_eq!(stage["required"], serde_json::json!(["stage"]));
        assert_eq!(
            schema["$defs"]["ApiKey"]["oneOf"],
            serde_json::json!([{ "required": ["id"] }, { "required": ["name"] }])
        );
    }
}
