//! Checks of where and as whom to connect, made before the SDK is asked, so that a setting
//! the SDK would fail on later (or panic on: an empty `AWS_ENDPOINT_URL`) is one clear error
//! naming the setting and what to write.

use std::borrow::Cow;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::client::Connection;
use super::error::{AwsError, AwsErrorKind};

/// The environment variables that set an endpoint, as the AWS CLI reads them.
const ENDPOINT_VARIABLES: [&str; 2] = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_API_GATEWAY"];

/// The environment variables that name a region, the first one set winning.
const REGION_VARIABLES: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// Checks the endpoint and region settings (flags and environment) and that a named profile
/// exists.
pub async fn check(connection: &Connection) -> Result<(), AwsError> {
    if let Some(url) = &connection.endpoint_url {
        check_endpoint("--endpoint-url", url)?;
    }
    for variable in ENDPOINT_VARIABLES {
        if let Some(url) = std::env::var_os(variable) {
            check_endpoint(variable, &url.to_string_lossy())?;
        }
    }
    let region_variable = REGION_VARIABLES
        .into_iter()
        .find_map(|variable| Some((variable, std::env::var_os(variable)?)));
    match (&connection.region, region_variable) {
        (Some(region), _) => check_region("--region", region)?,
        (None, Some((variable, region))) => check_region(variable, &region.to_string_lossy())?,
        (None, None) => {}
    }
    let profile = match &connection.profile {
        Some(profile) => Some(("--profile", profile.clone())),
        None => std::env::var("AWS_PROFILE")
            .ok()
            .map(|profile| ("AWS_PROFILE", profile)),
    };
    if let Some((source, name)) = profile {
        check_profile(source, &name).await?;
    }
    Ok(())
}

/// A configuration error: what is wrong and what to do.
fn wrong(detail: String) -> AwsError {
    AwsError {
        operation: "configuration",
        plan: None,
        kind: AwsErrorKind::Configuration,
        detail,
    }
}

/// An endpoint must be an absolute http or https URL with a host.
pub fn check_endpoint(source: &str, url: &str) -> Result<(), AwsError> {
    let fix = "give a URL such as https://apigateway.us-east-1.amazonaws.com or \
               http://localhost:4566, or unset it to use AWS's own endpoint";
    if url.trim().is_empty() {
        return Err(wrong(format!("{source} is set but empty; {fix}")));
    }
    let parsed = url.parse::<http::Uri>();
    let valid = parsed.as_ref().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https"))
            && uri.host().is_some_and(|host| !host.is_empty())
    });
    if valid {
        Ok(())
    } else {
        Err(wrong(format!(
            "{source} `{url}` is not an http or https URL with a host; {fix}"
        )))
    }
}

/// A region is a name such as `us-east-1`: lower-case letters, digits and dashes.
pub fn check_region(source: &str, region: &str) -> Result<(), AwsError> {
    let fix = "give a region such as us-east-1 (--region or AWS_REGION), or unset it to use \
               the profile's";
    if region.is_empty() {
        return Err(wrong(format!("{source} is set but empty; {fix}")));
    }
    if is_region_name(region) {
        Ok(())
    } else {
        Err(wrong(format!(
            "{source} `{region}` is not a region name; {fix}"
        )))
    }
}

/// Whether `region` looks like a region name: lower-case letters, digits and dashes, with
/// no dash first or last.
pub fn is_region_name(region: &str) -> bool {
    !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// A named profile must be in the AWS config or credentials file.
async fn check_profile(source: &str, name: &str) -> Result<(), AwsError> {
    if name.is_empty() {
        return Err(wrong(format!(
            "{source} is set but empty; name a profile of ~/.aws/config, or unset it"
        )));
    }
    let profiles = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        Some(Cow::Owned(name.to_string())),
    )
    .await
    .map_err(|error| {
        wrong(format!(
            "the AWS config files cannot be read ({error}); fix them, or unset {source}"
        ))
    })?;
    if profiles.get_profile(name).is_some() {
        Ok(())
    } else {
        let known: Vec<&str> = profiles.profiles().collect();
        let known = if known.is_empty() {
            "neither has any".to_string()
        } else {
            format!("the profiles are: {}", known.join(", "))
        };
        Err(wrong(format!(
            "{source} names the profile `{name}`, which is in neither the AWS config nor the \
             credentials file ({known}); name one of them, or run `aws configure --profile \
             {name}`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_http_urls_with_a_host() {
        for good in [
            "https://apigateway.us-east-1.amazonaws.com",
            "http://127.0.0.1:4566",
        ] {
            assert!(check_endpoint("--endpoint-url", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            " ",
            "not a url",
            "ftp://host",
            "localhost:4566",
            "http://",
        ] {
            let error = check_endpoint("AWS_ENDPOINT_URL", bad).unwrap_err();
            assert_eq!(error.kind, AwsErrorKind::Configuration);
            assert!(error.detail.starts_with("AWS_ENDPOINT_URL"), "{error}");
        }
    }

    #[test]
    fn regions_are_names_like_us_east_1() {
        assert!(check_region("--region", "eu-west-1").is_ok());
        for bad in ["", "US-EAST-1", "us east 1", "-us", "us-"] {
            let error = check_region("--region", bad).unwrap_err();
            assert!(error.detail.contains("us-east-1"), "{error}");
        }
    }
}
