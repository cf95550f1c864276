//! Checks of the region and profile, made before the SDK is asked, so that a setting the SDK
//! would fail on later is one clear error naming the setting and what to write. The endpoint
//! settings are checked by `endpoints`.

use std::borrow::Cow;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::client::Connection;
use super::error::AwsError;

/// The environment variables that name a region, the first one set winning.
const REGION_VARIABLES: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// Checks the region settings (flag and environment) and that a named profile exists.
pub async fn check(connection: &Connection) -> Result<(), AwsError> {
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

/// A region is a name such as `us-east-1`: lower-case letters, digits and dashes.
pub fn check_region(source: &str, region: &str) -> Result<(), AwsError> {
    let fix = "give a region such as us-east-1 (--region or AWS_REGION), or unset it to use \
               the profile's";
    if region.is_empty() {
        return Err(AwsError::configuration(format!(
            "{source} is set but empty; {fix}"
        )));
    }
    if is_region_name(region) {
        Ok(())
    } else {
        Err(AwsError::configuration(format!(
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
        return Err(AwsError::configuration(format!(
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
        AwsError::configuration(format!(
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
        Err(AwsError::configuration(format!(
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
    fn regions_are_names_like_us_east_1() {
        assert!(check_region("--region", "eu-west-1").is_ok());
        for bad in ["", "US-EAST-1", "us east 1", "-us", "us-"] {
            let error = check_region("--region", bad).unwrap_err();
            assert!(error.detail.contains("us-east-1"), "{error}");
        }
    }
}
