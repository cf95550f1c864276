//! Where API Gateway's and STS's requests go. Every endpoint setting the SDK reads is read
//! here: the flag or the project file's `endpoint:`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_API_GATEWAY`, `AWS_ENDPOINT_URL_STS`, and the profile's `endpoint_url` and
//! its `services` section (`api-gateway` and `sts`, the keys aws-config 1.13 reads). Each one
//! present is checked against the endpoint rule ([`crate::endpoint`]) whether or not it wins,
//! since the SDK's credential providers read them on their own (STS AssumeRole and
//! AssumeRoleWithWebIdentity follow them, `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or not). The
//! winners, in the SDK's order, are handed to each client explicitly, so the SDK picks none
//! up itself.
//!
//! One rule for STS: a setting for every service (not `AWS_ENDPOINT_URL_STS` or the profile's
//! `sts`) that is AWS's own API Gateway host is API Gateway's alone, and STS goes to AWS's
//! STS; any other such setting (an emulator, an allowed host) serves STS too.

use std::borrow::Cow;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_runtime::env_config::property::PropertiesKey;
use aws_runtime::env_config::section::EnvConfigSections;
use aws_types::os_shim_internal::{Env, Fs};

use super::error::AwsError;
use crate::endpoint::{AllowList, Endpoint, EndpointSetting, Service, Standing, ALLOW_VARIABLE};

/// The endpoint each client uses; `None` for AWS's own, found by the SDK from the region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// API Gateway's.
    pub api_gateway: Option<Endpoint>,
    /// STS's.
    pub sts: Option<Endpoint>,
    /// The hosts `TOLLGATE_ALLOW_ENDPOINTS` allows, by which views tell why each is used.
    pub allowed: AllowList,
}

/// The environment variable for every service's endpoint.
const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL";

/// The environment variable that makes the SDK's clients skip endpoints from the environment
/// and the profile (but not the credential providers').
const IGNORE_VARIABLE: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

/// The profile key of [`IGNORE_VARIABLE`].
const IGNORE_KEY: &str = "ignore_configured_endpoint_urls";

/// The profile key of an endpoint, in a profile and under a service of its `services`.
const ENDPOINT_KEY: &str = "endpoint_url";

/// What a setting redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Every service.
    Every,
    /// One service.
    Only(Service),
}

impl Service {
    /// The service's own environment variable (`AWS_ENDPOINT_URL_API_GATEWAY`).
    fn variable(self) -> &'static str {
        match self {
            Service::ApiGateway => "AWS_ENDPOINT_URL_API_GATEWAY",
            Service::Sts => "AWS_ENDPOINT_URL_STS",
        }
    }

    /// The service's key in a profile's `services` section, as aws-config forms it from the
    /// SDK's service id (lower case, spaces as dashes).
    fn services_key(self) -> &'static str {
        match self {
            Service::ApiGateway => "api-gateway",
            Service::Sts => "sts",
        }
    }
}

/// One endpoint setting that is present.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setting {
    /// Where it is, for messages.
    source: String,
    /// The URL as written.
    url: String,
    /// What it redirects.
    scope: Scope,
    /// From the environment or a profile, which `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` makes
    /// the SDK's clients skip; `false` for the flag and the project file.
    configured: bool,
}

/// The endpoint settings of the selected profile, read from the AWS config files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ProfileSettings {
    /// The profile's name.
    name: String,
    /// Its `endpoint_url`.
    endpoint_url: Option<String>,
    /// Its `services` section's name, and each service's `endpoint_url` there.
    services: Option<(String, Vec<(Service, String)>)>,
    /// Its `ignore_configured_endpoint_urls`.
    ignore: Option<String>,
}

impl ProfileSettings {
    /// The endpoint settings of `sections`' selected profile.
    fn of(sections: &EnvConfigSections) -> ProfileSettings {
        let services = sections.get("services").map(|section| {
            let urls = [Service::ApiGateway, Service::Sts]
                .into_iter()
                .filter_map(|service| {
                    let key = PropertiesKey::builder()
                        .section_key("services")
                        .section_name(section)
                        .property_name(service.services_key())
                        .sub_property_name(ENDPOINT_KEY)
                        .build()
                        .ok()?;
                    let url = sections.other_sections().get(&key)?;
                    Some((service, url.to_string()))
                })
                .collect();
            (section.to_string(), urls)
        });
        ProfileSettings {
            name: sections.selected_profile().to_string(),
            endpoint_url: sections.get(ENDPOINT_KEY).map(str::to_string),
            services,
            ignore: sections.get(IGNORE_KEY).map(str::to_string),
        }
    }
}

/// Reads every endpoint setting (`given`, the environment, the profile `profile` or the one
/// `AWS_PROFILE` names), checks each, and returns the endpoint of each client. Sends nothing.
pub async fn resolve(
    given: Option<&EndpointSetting>,
    profile: Option<&str>,
) -> Result<Endpoints, AwsError> {
    let allowed = allow_list()?;
    let env = |name: &str| std::env::var(name).ok();
    // The SDK reads no profile from config files it cannot parse, so neither does this.
    let profile = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        profile.map(|name| Cow::Owned(name.to_string())),
    )
    .await
    .map(|sections| ProfileSettings::of(&sections))
    .unwrap_or_default();
    decide(
        &settings(given, &env, &profile),
        ignoring(&env, &profile),
        allowed,
    )
    .map_err(AwsError::configuration)
}

/// The hosts the runner's `TOLLGATE_ALLOW_ENDPOINTS` allows; none when it is unset.
pub fn allow_list() -> Result<AllowList, AwsError> {
    match std::env::var(ALLOW_VARIABLE) {
        Ok(text) => AllowList::parse(&text).map_err(AwsError::configuration),
        Err(_) => Ok(AllowList::default()),
    }
}

/// Whether the SDK's clients skip endpoints from the environment and the profile, as
/// aws-config decides it: the variable first, then the profile; `true` or `false` in any
/// letter case, anything else as unset.
fn ignoring(env: &dyn Fn(&str) -> Option<String>, profile: &ProfileSettings) -> bool {
    let flag = |value: &str| match value.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    match env(IGNORE_VARIABLE) {
        Some(value) => flag(&value),
        None => profile.ignore.as_deref().and_then(flag),
    }
    .unwrap_or(false)
}

/// The endpoint settings present, in the SDK's order for a service: the flag or project
/// file, the service's variable, `AWS_ENDPOINT_URL`, the profile's `services` entry, the
/// profile's `endpoint_url`.
fn settings(
    given: Option<&EndpointSetting>,
    env: &dyn Fn(&str) -> Option<String>,
    profile: &ProfileSettings,
) -> Vec<Setting> {
    let mut found = Vec::new();
    if let Some(given) = given {
        found.push(Setting {
            source: given.source.clone(),
            url: given.url.clone(),
            scope: Scope::Every,
            configured: false,
        });
    }
    let variables = [
        (
            Service::ApiGateway.variable(),
            Scope::Only(Service::ApiGateway),
        ),
        (Service::Sts.variable(), Scope::Only(Service::Sts)),
        (ENDPOINT_VARIABLE, Scope::Every),
    ];
    for (variable, scope) in variables {
        if let Some(url) = env(variable) {
            found.push(Setting {
                source: variable.to_string(),
                url,
                scope,
                configured: true,
            });
        }
    }
    if let Some((section, urls)) = &profile.services {
        for (service, url) in urls {
            found.push(Setting {
                source: format!(
                    "the `{}` {ENDPOINT_KEY} in [services {section}] (profile {}'s services)",
                    service.services_key(),
                    profile.name
                ),
                url: url.clone(),
                scope: Scope::Only(*service),
                configured: true,
            });
        }
    }
    if let Some(url) = &profile.endpoint_url {
        found.push(Setting {
            source: format!("profile {}'s {ENDPOINT_KEY}", profile.name),
            url: url.clone(),
            scope: Scope::Every,
            configured: true,
        });
    }
    found
}

/// Checks every setting (one for every service as API Gateway's) and picks each client's:
/// the first that applies to it, skipping configured ones when `ignore_configured`, and, for
/// STS, one for every service on AWS's own API Gateway host. The error names each setting
/// refused.
fn decide(
    settings: &[Setting],
    ignore_configured: bool,
    allowed: AllowList,
) -> Result<Endpoints, String> {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    for setting in settings {
        let service = match setting.scope {
            Scope::Every => Service::ApiGateway,
            Scope::Only(service) => service,
        };
        match check(setting, service, &allowed) {
            Ok(checked_one) => checked.push((setting, checked_one)),
            Err(problem) => problems.push(problem),
        }
    }
    match problems.as_slice() {
        [] => {}
        [problem] => return Err(problem.clone()),
        _ => {
            return Err(format!(
                "{} endpoint settings break the endpoint rule:\n  {}",
                problems.len(),
                problems.join("\n  ")
            ))
        }
    }
    let pick = |service: Service| {
        checked
            .iter()
            .filter(|(setting, _)| !(ignore_configured && setting.configured))
            .find(|(setting, (_, standing))| match setting.scope {
                Scope::Only(only) => only == service,
                Scope::Every => service == Service::ApiGateway || *standing != Standing::Aws,
            })
            .map(|(_, (endpoint, _))| endpoint.clone())
    };
    Ok(Endpoints {
        api_gateway: pick(Service::ApiGateway),
        sts: pick(Service::Sts),
        allowed,
    })
}

/// One setting parsed and checked for `service`: its endpoint and standing, or why not.
fn check(
    setting: &Setting,
    service: Service,
    allowed: &AllowList,
) -> Result<(Endpoint, Standing), String> {
    let source = &setting.source;
    let fix = "give a URL such as https://apigateway.us-east-1.amazonaws.com or \
               http://localhost:4566, or unset it to use AWS's own endpoint";
    if setting.url.trim().is_empty() {
        return Err(format!("{source} is set but empty; {fix}"));
    }
    let endpoint = Endpoint::parse(&setting.url).map_err(|why| format!("{source} {why}"))?;
    let standing = endpoint.standing(service, allowed);
    if standing != Standing::Refused {
        return Ok((endpoint, standing));
    }
    let own = match service {
        Service::ApiGateway => "https://apigateway.REGION.amazonaws.com",
        Service::Sts => "https://sts.REGION.amazonaws.com",
    };
    let why = if endpoint.is_execute_api() {
        format!(
            "is an API's own host (`execute-api`), which anyone can own and which does not \
             serve {}'s management calls; AWS's is {own}",
            service.name()
        )
    } else {
        format!(
            "is neither AWS's own {} host over https ({own} and the like) nor this machine \
             (127.0.0.1, [::1], localhost)",
            service.name()
        )
    };
    Err(format!(
        "{source} sends requests to {}, which {why}. tollgate sends nothing there \
         unless the runner's environment lists `{}` in {ALLOW_VARIABLE} (tollgate.yaml \
         cannot set it); fix or remove {source}",
        endpoint.origin(),
        endpoint.host_port()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    fn given(url: &str) -> EndpointSetting {
        EndpointSetting {
            url: url.into(),
            source: "--endpoint-url".into(),
        }
    }

    fn urls(endpoints: &Endpoints) -> (Option<&str>, Option<&str>) {
        (
            endpoints.api_gateway.as_ref().map(Endpoint::as_str),
            endpoints.sts.as_ref().map(Endpoint::as_str),
        )
    }

    fn resolved(
        given_url: Option<&str>,
        env: &[(&str, &str)],
        profile: &ProfileSettings,
    ) -> Result<Endpoints, String> {
        let given = given_url.map(given);
        let env = env_of(env);
        let found = settings(given.as_ref(), &env, profile);
        decide(&found, ignoring(&env, profile), AllowList::default())
    }

    #[test]
    fn an_api_gateway_endpoint_on_awss_host_never_redirects_sts() {
        let aws = "https://apigateway.eu-west-1.amazonaws.com";
        let none = ProfileSettings::default();
        for (given_url, env) in [
            (Some(aws), vec![]),
            (None, vec![(ENDPOINT_VARIABLE, aws)]),
            (None, vec![("AWS_ENDPOINT_URL_API_GATEWAY", aws)]),
        ] {
            let endpoints = resolved(given_url, &env, &none).unwrap();
            assert_eq!(urls(&endpoints), (Some(aws), None), "{given_url:?} {env:?}");
        }
        let profile = ProfileSettings {
            name: "ci".into(),
            endpoint_url: Some(aws.into()),
            ..ProfileSettings::default()
        };
        let endpoints = resolved(None, &[], &profile).unwrap();
        assert_eq!(urls(&endpoints), (Some(aws), None));
        // STS's own setting still applies.
        let sts = "https://sts.eu-west-1.amazonaws.com";
        let endpoints = resolved(Some(aws), &[("AWS_ENDPOINT_URL_STS", sts)], &none).unwrap();
        assert_eq!(urls(&endpoints), (Some(aws), Some(sts)));
    }

    #[test]
    fn an_emulator_serves_sts_too() {
        let local = "http://127.0.0.1:4566";
        let endpoints = resolved(Some(local), &[], &ProfileSettings::default()).unwrap();
        assert_eq!(urls(&endpoints), (Some(local), Some(local)));
        let endpoints = resolved(
            None,
            &[(ENDPOINT_VARIABLE, local)],
            &ProfileSettings::default(),
        )
        .unwrap();
        assert_eq!(urls(&endpoints), (Some(local), Some(local)));
    }

    #[test]
    fn settings_win_in_the_sdks_order() {
        let profile = ProfileSettings {
            name: "ci".into(),
            endpoint_url: Some("http://127.0.0.5".into()),
            services: Some((
                "local".into(),
                vec![
                    (Service::ApiGateway, "http://127.0.0.3".into()),
                    (Service::Sts, "http://127.0.0.4".into()),
                ],
            )),
            ignore: None,
        };
        let all = [
            ("AWS_ENDPOINT_URL_API_GATEWAY", "http://127.0.0.1"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.6"),
            (ENDPOINT_VARIABLE, "http://127.0.0.2"),
        ];
        fn pick(
            given_url: Option<&str>,
            env: &[(&str, &str)],
            profile: &ProfileSettings,
        ) -> (Option<String>, Option<String>) {
            let endpoints = resolved(given_url, env, profile).unwrap();
            let (api, sts) = urls(&endpoints);
            (api.map(str::to_string), sts.map(str::to_string))
        }
        let both = |api: &str, sts: &str| (Some(api.to_string()), Some(sts.to_string()));
        assert_eq!(
            pick(Some("http://localhost"), &all, &profile),
            both("http://localhost", "http://localhost")
        );
        assert_eq!(
            pick(None, &all, &profile),
            both("http://127.0.0.1", "http://127.0.0.6")
        );
        assert_eq!(
            pick(None, &all[2..], &profile),
            both("http://127.0.0.2", "http://127.0.0.2")
        );
        assert_eq!(
            pick(None, &[], &profile),
            both("http://127.0.0.3", "http://127.0.0.4")
        );
        let general = ProfileSettings {
            services: None,
            ..profile.clone()
        };
        assert_eq!(
            pick(None, &[], &general),
            both("http://127.0.0.5", "http://127.0.0.5")
        );
        // Ignored by the SDK's clients, but not by the flag.
        let ignoring_env = [(IGNORE_VARIABLE, "TRUE"), all[2]];
        assert_eq!(pick(None, &ignoring_env, &profile), (None, None));
        assert_eq!(
            pick(Some("http://localhost"), &ignoring_env, &profile),
            both("http://localhost", "http://localhost")
        );
        let ignoring_profile = ProfileSettings {
            ignore: Some("true".into()),
            ..profile
        };
        assert_eq!(pick(None, &all, &ignoring_profile), (None, None));
        let overruled = [(IGNORE_VARIABLE, "false"), all[0]];
        assert_eq!(
            pick(None, &overruled, &ignoring_profile),
            both("http://127.0.0.1", "http://127.0.0.4")
        );
    }

    #[test]
    fn every_setting_present_is_checked_even_one_that_does_not_win() {
        let profile = ProfileSettings {
            name: "ci".into(),
            endpoint_url: Some("http://0.0.0.0:9".into()),
            services: Some((
                "remote".into(),
                vec![(Service::Sts, "https://sts.example.com".into())],
            )),
            ignore: Some("true".into()),
        };
        let error = resolved(
            Some("http://127.0.0.1:4566"),
            &[("AWS_ENDPOINT_URL_STS", "http://[::2]:1")],
            &profile,
        )
        .unwrap_err();
        let lines: Vec<&str> = error.lines().collect();
        assert_eq!(lines.len(), 4, "{error}");
        assert_eq!(lines[0], "3 endpoint settings break the endpoint rule:");
        let lines: Vec<&str> = lines[1..].iter().map(|line| line.trim_start()).collect();
        assert!(lines[0].starts_with("AWS_ENDPOINT_URL_STS sends requests to http://[::2]:1,"));
        assert!(lines[0].contains("`[::2]:1` in TOLLGATE_ALLOW_ENDPOINTS"));
        assert!(lines[1].starts_with(
            "the `sts` endpoint_url in [services remote] (profile ci's services) sends requests \
             to https://sts.example.com,"
        ));
        assert!(lines[1].contains("AWS's own STS host"));
        assert!(
            lines[2].starts_with("profile ci's endpoint_url sends requests to http://0.0.0.0:9,")
        );
    }

    #[test]
    fn a_setting_for_every_service_is_checked_as_api_gateways() {
        let error = resolved(
            None,
            &[(ENDPOINT_VARIABLE, "https://sts.us-east-1.amazonaws.com")],
            &ProfileSettings::default(),
        )
        .unwrap_err();
        assert!(error.contains("AWS's own API Gateway host"), "{error}");
        let error = resolved(
            Some("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"),
            &[],
            &ProfileSettings::default(),
        )
        .unwrap_err();
        assert!(
            error.contains("is an API's own host (`execute-api`)"),
            "{error}"
        );
        assert!(error.contains(
            "`a1b2c3d4e5.execute-api.us-east-1.amazonaws.com` in TOLLGATE_ALLOW_ENDPOINTS"
        ));
    }

    #[test]
    fn empty_and_malformed_settings_name_their_source() {
        let error = resolved(
            None,
            &[(ENDPOINT_VARIABLE, " ")],
            &ProfileSettings::default(),
        )
        .unwrap_err();
        assert!(
            error.starts_with("AWS_ENDPOINT_URL is set but empty;"),
            "{error}"
        );
        let error = resolved(Some("localhost:4566"), &[], &ProfileSettings::default()).unwrap_err();
        assert!(
            error.starts_with(
                "--endpoint-url is not an http or https URL (its scheme is `localhost`)"
            ),
            "{error}"
        );
    }
}
