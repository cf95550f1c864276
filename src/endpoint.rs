//! The endpoint rule: where tollgate sends requests without being told (AWS's own service
//! hosts over https, and a server on this machine) and where only when the runner lists the
//! host in `TOLLGATE_ALLOW_ENDPOINTS`. Pure: the settings are read by `live::endpoints`.

use std::fmt;

use serde::Serialize;
use url::{Host, Url};

/// The environment variable that allows endpoints that are neither AWS's own nor loopback:
/// `host[:port]` entries separated by commas or spaces.
pub const ALLOW_VARIABLE: &str = "TOLLGATE_ALLOW_ENDPOINTS";

/// An endpoint given to tollgate, and where it was given, for messages (`--endpoint-url`,
/// "`endpoint:` in tollgate.yaml line 6").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSetting {
    /// The URL as written.
    pub url: String,
    /// Where it was written.
    pub source: String,
}

/// A service tollgate calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon API Gateway: every read and write.
    ApiGateway,
    /// AWS STS: GetCallerIdentity, which tells the account.
    Sts,
}

impl Service {
    /// The first label of the service's hosts (`apigateway.us-east-1.amazonaws.com`).
    fn host_label(self) -> &'static str {
        match self {
            Service::ApiGateway => "apigateway",
            Service::Sts => "sts",
        }
    }

    /// The service's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Service::ApiGateway => "API Gateway",
            Service::Sts => "STS",
        }
    }
}

/// An AWS partition: its regions' form and its DNS suffixes.
struct Partition {
    /// What every region name of the partition starts with, before `-NAME-DIGITS`.
    region_prefixes: &'static [&'static str],
    /// The partition's DNS suffix (`dnsSuffix`).
    dns_suffix: &'static str,
    /// Its dual-stack DNS suffix (`dualStackDnsSuffix`).
    dual_stack_dns_suffix: &'static str,
}

/// AWS's partitions as the SDK's partition data lists them (partitions.json, "version" "1.1",
/// embedded in aws-sdk-sts 1.124 and aws-sdk-apigateway 1.125 as `endpoint_lib`; smithy-rs
/// keeps the file in aws/sdk-codegen). Each `regionRegex` there is
/// `^(PREFIX|...)\-\w+\-\d+$`. Update this table when the SDK adds a partition.
const PARTITIONS: &[Partition] = &[
    // aws
    Partition {
        region_prefixes: &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
    },
    // aws-cn
    Partition {
        region_prefixes: &["cn"],
        dns_suffix: "amazonaws.com.cn",
        dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
    },
    // aws-eusc: the AWS European Sovereign Cloud
    Partition {
        region_prefixes: &["eusc-de"],
        dns_suffix: "amazonaws.eu",
        dual_stack_dns_suffix: "api.amazonwebservices.eu",
    },
    // aws-iso
    Partition {
        region_prefixes: &["us-iso"],
        dns_suffix: "c2s.ic.gov",
        dual_stack_dns_suffix: "api.aws.ic.gov",
    },
    // aws-iso-b
    Partition {
        region_prefixes: &["us-isob"],
        dns_suffix: "sc2s.sgov.gov",
        dual_stack_dns_suffix: "api.aws.scloud",
    },
    // aws-iso-e
    Partition {
        region_prefixes: &["eu-isoe"],
        dns_suffix: "cloud.adc-e.uk",
        dual_stack_dns_suffix: "api.cloud-aws.adc-e.uk",
    },
    // aws-iso-f
    Partition {
        region_prefixes: &["us-isof"],
        dns_suffix: "csp.hci.ic.gov",
        dual_stack_dns_suffix: "api.aws.hci.ic.gov",
    },
    // aws-us-gov
    Partition {
        region_prefixes: &["us-gov"],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
    },
];

/// STS's global host, which has no region in its name.
const STS_GLOBAL_HOST: &str = "sts.amazonaws.com";

impl Partition {
    /// Whether `region` is one of this partition's region names: `PREFIX-NAME-DIGITS`, NAME
    /// being letters, digits and `_`.
    fn has_region(&self, region: &str) -> bool {
        self.region_prefixes.iter().any(|prefix| {
            let Some(rest) = region
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
            else {
                return false;
            };
            rest.rsplit_once('-').is_some_and(|(name, digits)| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
            })
        })
    }
}

/// Whether `host` (lower-case, without a trailing dot) is one of AWS's own hosts for
/// `service`: `SERVICE[-fips].REGION.SUFFIX` with SUFFIX a partition's DNS suffix or
/// dual-stack DNS suffix and REGION one of its regions' names; a VPC endpoint's
/// `vpce-ID.SERVICE.REGION.vpce.SUFFIX`; or, for STS, `sts.amazonaws.com`. An API's own
/// host (`ID.execute-api.REGION.amazonaws.com`) is not: anyone can own one.
pub fn is_aws_host(service: Service, host: &str) -> bool {
    if service == Service::Sts && host == STS_GLOBAL_HOST {
        return true;
    }
    let label = service.host_label();
    let fips = format!("{label}-fips");
    PARTITIONS.iter().any(|partition| {
        [partition.dns_suffix, partition.dual_stack_dns_suffix]
            .into_iter()
            .any(|suffix| {
                let Some(rest) = host
                    .strip_suffix(suffix)
                    .and_then(|rest| rest.strip_suffix('.'))
                else {
                    return false;
                };
                let labels: Vec<&str> = rest.split('.').collect();
                match labels.as_slice() {
                    [name, region] => {
                        (*name == label || *name == fips) && partition.has_region(region)
                    }
                    [vpce, name, region, "vpce"] => {
                        suffix == partition.dns_suffix
                            && is_vpc_endpoint_id(vpce)
                            && *name == label
                            && partition.has_region(region)
                    }
                    _ => false,
                }
            })
    })
}

/// Whether `label` is a VPC endpoint's DNS label: `vpce-` then letters, digits and dashes.
fn is_vpc_endpoint_id(label: &str) -> bool {
    label.strip_prefix("vpce-").is_some_and(|id| {
        !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// `url`'s scheme, host and port alone, its port only when not the scheme's own.
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether `host` is this machine: an address in 127.0.0.0/8, `[::1]`, or `localhost`.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(address) => address.is_loopback(),
        Host::Ipv6(address) => address.is_loopback(),
        Host::Domain(name) => *name == "localhost",
    }
}

/// An endpoint URL as tollgate uses it: http or https, with a host and no user name or
/// password; its host lower-cased and without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
}

impl Endpoint {
    /// Parses and normalises `text`; the error says what is wrong with it and never repeats
    /// `text`, which may hold a secret (a user name or password, a signed query, a token in
    /// the path): at most its scheme, host and port.
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        // An endpoint has no use for `@`; where it is, a user name or password may be.
        if text.contains('@') {
            return Err(
                "holds a user name or password before its host (`user@`); an endpoint \
                        never carries credentials: remove them"
                    .to_string(),
            );
        }
        let mut url = Url::parse(text.trim())
            .map_err(|error| format!("is not an http or https URL with a host ({error})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "is not an http or https URL (its scheme is `{}`)",
                url.scheme()
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "({}) has a query or a fragment (`?`, `#`), which may hold a secret and is not \
                 shown; give the scheme, host and port alone",
                origin(&url)
            ));
        }
        let trimmed = match url.host() {
            Some(Host::Domain(name)) if name.ends_with('.') => {
                Some(name.trim_end_matches('.').to_string())
            }
            Some(_) => None,
            None => return Err("has no host".to_string()),
        };
        if let Some(name) = trimmed {
            if name.is_empty() {
                return Err("has no host".to_string());
            }
            url.set_host(Some(&name))
                .map_err(|error| format!("has no valid host ({error})"))?;
        }
        Ok(Endpoint { url })
    }

    /// How an error shows the endpoint URL `text`: its scheme, host and port, and whether a
    /// path was left out; nothing of a URL that does not parse.
    pub fn shown_in_errors(text: &str) -> String {
        match Endpoint::parse(text) {
            Ok(endpoint) if endpoint.url.path() == "/" => endpoint.origin(),
            Ok(endpoint) => format!("{} (and a path, not shown)", endpoint.origin()),
            Err(_) => "that is not a valid endpoint URL (not shown)".to_string(),
        }
    }

    /// The scheme, host and port alone (`https://host:8443`), as errors show an endpoint: a
    /// path may hold a secret.
    pub fn origin(&self) -> String {
        origin(&self.url)
    }

    /// The URL, normalised, without the `/` the URL library adds to an empty path.
    pub fn as_str(&self) -> &str {
        let text = self.url.as_str();
        match self.url.path() {
            "/" => text.strip_suffix('/').unwrap_or(text),
            _ => text,
        }
    }

    /// The host (lower-case, no trailing dot).
    fn host(&self) -> Host<&str> {
        self.url.host().unwrap_or(Host::Domain(""))
    }

    /// `host[:port]` as `TOLLGATE_ALLOW_ENDPOINTS` lists it: the port only when the URL gives
    /// one other than its scheme's.
    pub fn host_port(&self) -> String {
        let host = self.host().to_string();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// Whether the host is an API's own (`ID.execute-api.REGION.amazonaws.com`), which a
    /// refusal explains.
    pub fn is_execute_api(&self) -> bool {
        matches!(self.host(), Host::Domain(name) if name.split('.').nth(1) == Some("execute-api"))
    }

    /// Where this endpoint stands for `service` under the endpoint rule.
    pub fn standing(&self, service: Service, allowed: &AllowList) -> Standing {
        let host = self.host();
        if is_loopback(&host) {
            return Standing::Loopback;
        }
        if let Host::Domain(name) = host {
            if self.url.scheme() == "https" && is_aws_host(service, name) {
                return Standing::Aws;
            }
        }
        if allowed.allows(self) {
            Standing::Allowed
        } else {
            Standing::Refused
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an endpoint stands under the endpoint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// AWS's own host for the service, over https: used.
    Aws,
    /// This machine (an emulator), over http or https: used.
    Loopback,
    /// Listed in `TOLLGATE_ALLOW_ENDPOINTS`: used.
    Allowed,
    /// None of these: refused before any request.
    Refused,
}

/// The hosts `TOLLGATE_ALLOW_ENDPOINTS` allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<AllowedHost>,
}

/// One `host[:port]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    /// The host, normalised as an endpoint's is.
    host: String,
    /// The port; `None` for the scheme's own (80 for http, 443 for https).
    port: Option<u16>,
}

impl AllowList {
    /// Parses the variable's value: `host[:port]` entries separated by commas or white space
    /// (an IPv6 address in brackets, `[fd00::1]:8080`). The error names the entry.
    pub fn parse(text: &str) -> Result<AllowList, String> {
        let entries = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .map(AllowedHost::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AllowList { entries })
    }

    /// Whether an entry names the endpoint's host and port.
    fn allows(&self, endpoint: &Endpoint) -> bool {
        let host = endpoint.host().to_string();
        let scheme_port = match endpoint.url.scheme() {
            "https" => 443,
            _ => 80,
        };
        let port = endpoint.url.port().unwrap_or(scheme_port);
        self.entries
            .iter()
            .any(|entry| entry.host == host && entry.port.unwrap_or(scheme_port) == port)
    }
}

impl AllowedHost {
    /// One entry, `host` or `host:port`.
    fn parse(entry: &str) -> Result<AllowedHost, String> {
        let wrong = |why: &str| {
            format!(
                "{ALLOW_VARIABLE}: `{entry}` is not host[:port] ({why}); list hosts such as \
                 `localstack:4566, apigw.example.com`"
            )
        };
        if entry.contains("://") || entry.contains(['/', '@', '?', '#']) {
            return Err(wrong(
                "give the host and port alone, without a scheme or path",
            ));
        }
        let (host, port) = match entry.strip_prefix('[') {
            Some(_) => match entry.split_once("]:") {
                Some((address, port)) => (format!("{address}]"), Some(port)),
                None => (entry.to_string(), None),
            },
            None => match entry.split_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (entry.to_string(), None),
            },
        };
        let port = port
            .map(|port| {
                port.parse::<u16>()
                    .map_err(|_| wrong("the port is not a number"))
            })
            .transpose()?;
        let host = Host::parse(&host).map_err(|error| wrong(&error.to_string()))?;
        let host = match host {
            Host::Domain(name) => name.trim_end_matches('.').to_string(),
            other => other.to_string(),
        };
        if host.is_empty() {
            return Err(wrong("the host is empty"));
        }
        Ok(AllowedHost { host, port })
    }
}

/// Where an endpoint that is not AWS's own stands for the run that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trust {
    /// It is on this machine.
    Loopback,
    /// `TOLLGATE_ALLOW_ENDPOINTS` lists it.
    Allowed,
    /// Neither: the endpoint rule refuses it here (only a saved plan's can be shown so).
    Refused,
}

/// An endpoint that is not AWS's own, as every view of a plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignEndpoint {
    /// The URL, normalised.
    pub url: String,
    /// Where it stands.
    pub trust: Trust,
}

impl ForeignEndpoint {
    /// `service`'s endpoint `url` (as [`Endpoint::as_str`] gives it) with its standing under
    /// `allowed`; `None` when it is AWS's own. A URL that cannot be parsed is refused.
    pub fn checked(service: Service, url: &str, allowed: &AllowList) -> Option<ForeignEndpoint> {
        let standing = Endpoint::parse(url).map_or(Standing::Refused, |endpoint| {
            endpoint.standing(service, allowed)
        });
        let trust = match standing {
            Standing::Aws => return None,
            Standing::Loopback => Trust::Loopback,
            Standing::Allowed => Trust::Allowed,
            Standing::Refused => Trust::Refused,
        };
        Some(ForeignEndpoint {
            url: url.to_string(),
            trust,
        })
    }

    /// What the run that made a saved plan printed for `service`'s endpoint `url`: that run
    /// refused every endpoint neither AWS's own, this machine nor allowed, so any other was
    /// allowed there. Only for checking a saved plan's JSON against the state saved with it:
    /// views show [`ForeignEndpoint::checked`], under the allow list of the run showing them.
    pub fn as_made(service: Service, url: &str) -> Option<ForeignEndpoint> {
        let mut made = ForeignEndpoint::checked(service, url, &AllowList::default())?;
        if made.trust == Trust::Refused {
            made.trust = Trust::Allowed;
        }
        Some(made)
    }

    /// The line the text view shows: `Endpoint: URL (not AWS's own: ...)`, `STS endpoint: ...`
    /// for STS's.
    pub fn line(&self, service: Service) -> String {
        let label = match service {
            Service::ApiGateway => "Endpoint",
            Service::Sts => "STS endpoint",
        };
        let why = match self.trust {
            Trust::Loopback => "a server on this machine".to_string(),
            Trust::Allowed => format!("allowed by {ALLOW_VARIABLE}"),
            Trust::Refused => format!("not allowed here: {ALLOW_VARIABLE} does not list it"),
        };
        format!("{label}: {} (not AWS's own: {why})", self.url)
    }
}

/// The endpoints of a plan's run that are not AWS's own, as every view shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignEndpoints {
    /// API Gateway's.
    pub api_gateway: Option<ForeignEndpoint>,
    /// STS's, which tells the account, when it is not API Gateway's shown one.
    pub sts: Option<ForeignEndpoint>,
}

impl ForeignEndpoints {
    /// Both endpoints through `show` (`None` URLs: AWS's own); STS's is dropped when it is
    /// the same as API Gateway's shown one.
    pub fn of(
        api_gateway: Option<&str>,
        sts: Option<&str>,
        show: impl Fn(Service, &str) -> Option<ForeignEndpoint>,
    ) -> ForeignEndpoints {
        let api_gateway = api_gateway.and_then(|url| show(Service::ApiGateway, url));
        let sts = sts
            .and_then(|url| show(Service::Sts, url))
            .filter(|sts| api_gateway.as_ref().map(|api| &api.url) != Some(&sts.url));
        ForeignEndpoints { api_gateway, sts }
    }

    /// The lines the text view shows, API Gateway's first.
    pub fn lines(&self) -> Vec<String> {
        let api = self
            .api_gateway
            .as_ref()
            .map(|endpoint| endpoint.line(Service::ApiGateway));
        let sts = self
            .sts
            .as_ref()
            .map(|endpoint| endpoint.line(Service::Sts));
        api.into_iter().chain(sts).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(url: &str, service: Service, allowed: &str) -> Standing {
        let allowed = AllowList::parse(allowed).unwrap();
        Endpoint::parse(url).unwrap().standing(service, &allowed)
    }

    #[test]
    fn aws_hosts_are_the_services_own_in_every_partition() {
        for host in [
            "apigateway.us-east-1.amazonaws.com",
            "apigateway-fips.us-gov-west-1.amazonaws.com",
            "apigateway.cn-north-1.amazonaws.com.cn",
            "apigateway.eusc-de-east-1.amazonaws.eu",
            "apigateway.us-iso-east-1.c2s.ic.gov",
            "apigateway.us-isob-east-1.sc2s.sgov.gov",
            "apigateway.eu-isoe-west-1.cloud.adc-e.uk",
            "apigateway.us-isof-south-1.csp.hci.ic.gov",
            "apigateway.eu-west-1.api.aws",
            "vpce-0a1b2c3d4e5f-abcdefgh.apigateway.eu-west-1.vpce.amazonaws.com",
            "vpce-0a1b-x-us-east-1a.apigateway.us-east-1.vpce.amazonaws.com",
        ] {
            assert!(is_aws_host(Service::ApiGateway, host), "{host}");
            assert!(!is_aws_host(Service::Sts, host), "{host} is not STS's");
        }
        for host in [
            "sts.amazonaws.com",
            "sts.us-east-1.amazonaws.com",
            "sts-fips.us-east-2.amazonaws.com",
            "sts.cn-northwest-1.amazonaws.com.cn",
            "vpce-0a1b2c.sts.ap-south-1.vpce.amazonaws.com",
        ] {
            assert!(is_aws_host(Service::Sts, host), "{host}");
            assert!(
                !is_aws_host(Service::ApiGateway, host),
                "{host} is not API Gateway's"
            );
        }
    }

    #[test]
    fn hosts_anyone_can_own_or_that_only_look_like_aws_are_not_aws() {
        for host in [
            // An API's own host: whoever owns the API answers.
            "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "apigateway.us-east-1.amazonaws.com.evil.example",
            "apigateway.us-east-1.amazonaws.co",
            "evilapigateway.us-east-1.amazonaws.com",
            "x.apigateway.us-east-1.amazonaws.com",
            // Not a region: an S3 website bucket named `apigateway` has this form.
            "apigateway.s3-website-us-east-1.amazonaws.com",
            "apigateway.us-east.amazonaws.com",
            "apigateway.us-east-1a.amazonaws.com",
            "apigateway.amazonaws.com",
            // A region of another partition.
            "apigateway.cn-north-1.amazonaws.com",
            // VPC endpoints have no dual-stack form, and need their vpce- id.
            "vpce-1.apigateway.us-east-1.vpce.api.aws",
            "vpc-1.apigateway.us-east-1.vpce.amazonaws.com",
            "vpce-.apigateway.us-east-1.vpce.amazonaws.com",
            "vpce-1.apigateway.us-east-1.amazonaws.com",
            "sts.amazonaws.com.cn",
        ] {
            assert!(!is_aws_host(Service::ApiGateway, host), "{host}");
            assert!(!is_aws_host(Service::Sts, host), "{host}");
        }
    }

    #[test]
    fn aws_hosts_count_over_https_only_and_loopback_over_either() {
        let api = Service::ApiGateway;
        assert_eq!(
            standing("https://apigateway.us-east-1.amazonaws.com", api, ""),
            Standing::Aws
        );
        assert_eq!(
            standing("http://apigateway.us-east-1.amazonaws.com", api, ""),
            Standing::Refused
        );
        for url in [
            "http://127.0.0.1:4566",
            "https://127.9.8.7",
            "http://[::1]:8080",
            "http://localhost",
            "http://LOCALHOST.:4566",
        ] {
            assert_eq!(standing(url, api, ""), Standing::Loopback, "{url}");
        }
        for url in [
            "http://0.0.0.0:4566",
            "http://[::ffff:127.0.0.1]:4566",
            "http://128.0.0.1",
            "http://localhost.example:4566",
            "http://sub.localhost:4566",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        ] {
            assert_eq!(standing(url, api, ""), Standing::Refused, "{url}");
        }
    }

    #[test]
    fn the_allow_list_matches_host_and_port_with_the_schemes_port_by_default() {
        let api = Service::ApiGateway;
        let list = "localstack:4566, Proxy.Example.COM.  [fd00::1]:8080,http-only:80";
        assert_eq!(
            standing("http://localstack:4566", api, list),
            Standing::Allowed
        );
        assert_eq!(
            standing("http://localstack:4567", api, list),
            Standing::Refused
        );
        assert_eq!(standing("http://localstack", api, list), Standing::Refused);
        assert_eq!(
            standing("https://proxy.example.com", api, list),
            Standing::Allowed
        );
        assert_eq!(
            standing("https://proxy.example.com:443", api, list),
            Standing::Allowed
        );
        assert_eq!(
            standing("http://proxy.example.com", api, list),
            Standing::Allowed
        );
        assert_eq!(
            standing("https://proxy.example.com:8443", api, list),
            Standing::Refused
        );
        assert_eq!(
            standing("http://[fd00::1]:8080/", api, list),
            Standing::Allowed
        );
        assert_eq!(standing("http://http-only", api, list), Standing::Allowed);
        assert_eq!(standing("https://http-only", api, list), Standing::Refused);
        assert_eq!(
            standing(
                "http://apigateway.us-east-1.amazonaws.com",
                api,
                "apigateway.us-east-1.amazonaws.com:80"
            ),
            Standing::Allowed
        );
    }

    #[test]
    fn allow_list_entries_are_hosts_and_ports_alone() {
        assert_eq!(AllowList::parse(" ,\n").unwrap(), AllowList::default());
        for bad in [
            "http://localstack:4566",
            "localstack:4566/path",
            "user@localstack",
            "localstack:port",
            "localstack:70000",
            ":4566",
            "[fd00::1",
        ] {
            let error = AllowList::parse(&format!("ok.example, {bad}")).unwrap_err();
            assert!(error.starts_with(ALLOW_VARIABLE), "{error}");
            assert!(error.contains(bad), "{error}");
        }
    }

    #[test]
    fn urls_are_normalised_and_credentials_refused_without_being_repeated() {
        let endpoint = Endpoint::parse(" HTTPS://APIGateway.US-EAST-1.AmazonAWS.com./ ").unwrap();
        assert_eq!(
            endpoint.as_str(),
            "https://apigateway.us-east-1.amazonaws.com"
        );
        assert_eq!(
            endpoint.standing(Service::ApiGateway, &AllowList::default()),
            Standing::Aws
        );
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:4566/prefix")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:4566/prefix"
        );
        assert_eq!(
            Endpoint::parse("http://Host.Example.:8080")
                .unwrap()
                .host_port(),
            "host.example:8080"
        );
        for url in [
            "https://AKIA:secret@apigateway.us-east-1.amazonaws.com",
            "http://token@127.0.0.1:4566",
        ] {
            let error = Endpoint::parse(url).unwrap_err();
            assert!(error.contains("user name or password"), "{error}");
            assert!(
                !error.contains("secret") && !error.contains("token"),
                "{error}"
            );
        }
        for bad in [
            "",
            "not a url",
            "ftp://host",
            "localhost:4566",
            "http://",
            "http://.",
            "http://h/?a=b",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_plan_shows_the_endpoint_when_it_is_not_awss_own() {
        let none = AllowList::default();
        let api = Service::ApiGateway;
        let aws = "https://apigateway.eu-west-1.amazonaws.com";
        assert_eq!(ForeignEndpoint::checked(api, aws, &none), None);
        let local = ForeignEndpoint::checked(api, "http://127.0.0.1:4566", &none).unwrap();
        assert_eq!(
            local.line(api),
            "Endpoint: http://127.0.0.1:4566 (not AWS's own: a server on this machine)"
        );
        let listed = AllowList::parse("localstack:4566").unwrap();
        let allowed = ForeignEndpoint::checked(api, "http://localstack:4566", &listed).unwrap();
        assert_eq!(
            allowed.line(api),
            "Endpoint: http://localstack:4566 (not AWS's own: allowed by TOLLGATE_ALLOW_ENDPOINTS)"
        );
    }

    #[test]
    fn an_endpoint_nobody_allowed_is_never_shown_as_allowed() {
        let none = AllowList::default();
        let api = Service::ApiGateway;
        for url in ["http://evil.example:4566", "not a url"] {
            let shown = ForeignEndpoint::checked(api, url, &none).unwrap();
            assert_eq!(shown.trust, Trust::Refused, "{url}");
            assert_eq!(
                shown.line(api),
                format!(
                    "Endpoint: {url} (not AWS's own: not allowed here: TOLLGATE_ALLOW_ENDPOINTS \
                     does not list it)"
                )
            );
            assert_eq!(serde_json::to_value(shown.trust).unwrap(), "refused");
        }
        // What an honest run that made a saved plan printed: it refused any other endpoint.
        let made = ForeignEndpoint::as_made(api, "http://evil.example:4566").unwrap();
        assert_eq!(made.trust, Trust::Allowed);
    }

    #[test]
    fn stss_endpoint_is_shown_when_not_awss_own_nor_api_gateways_shown_one() {
        let none = AllowList::default();
        let show = |service, url: &str| ForeignEndpoint::checked(service, url, &none);
        let local = "http://127.0.0.1:4566";
        let aws_api = "https://apigateway.us-east-1.amazonaws.com";
        let shown = ForeignEndpoints::of(Some(aws_api), Some(local), show);
        assert_eq!(shown.api_gateway, None);
        assert_eq!(
            shown.lines(),
            ["STS endpoint: http://127.0.0.1:4566 (not AWS's own: a server on this machine)"]
        );
        let same = ForeignEndpoints::of(Some(local), Some(local), show);
        assert_eq!(same.sts, None);
        assert_eq!(same.lines().len(), 1);
        let aws_sts = ForeignEndpoints::of(None, Some("https://sts.us-east-1.amazonaws.com"), show);
        assert_eq!(aws_sts, ForeignEndpoints::default());
        let other = ForeignEndpoints::of(Some(local), Some("http://localhost:4599"), show);
        assert_eq!(
            other.lines(),
            [
                "Endpoint: http://127.0.0.1:4566 (not AWS's own: a server on this machine)",
                "STS endpoint: http://localhost:4599 (not AWS's own: a server on this machine)",
            ]
        );
    }

    #[test]
    fn errors_show_no_query_fragment_path_or_input_that_does_not_parse() {
        for (url, shown) in [
            (
                "https://apigateway.us-east-1.amazonaws.com/?X-Amz-Security-Token=SECRETTOKEN123",
                Some("(https://apigateway.us-east-1.amazonaws.com) has a query"),
            ),
            (
                "http://127.0.0.1:4566/x#SECRETTOKEN123",
                Some("(http://127.0.0.1:4566) has a"),
            ),
            ("SECRETTOKEN123", None),
            ("ftp://host/SECRETTOKEN123", None),
            ("http://SECRETTOKEN123%/", None),
        ] {
            let error = Endpoint::parse(url).unwrap_err();
            assert!(!error.contains("SECRETTOKEN123"), "{error}");
            if let Some(shown) = shown {
                assert!(error.starts_with(shown), "{error}");
            }
        }
        let with_path = "http://proxy.example:8080/SECRETTOKEN123/";
        let endpoint = Endpoint::parse(with_path).unwrap();
        assert_eq!(endpoint.origin(), "http://proxy.example:8080");
        assert_eq!(
            Endpoint::shown_in_errors(with_path),
            "http://proxy.example:8080 (and a path, not shown)"
        );
        assert_eq!(
            Endpoint::shown_in_errors("https://host.example"),
            "https://host.example"
        );
        assert!(!Endpoint::shown_in_errors("x SECRETTOKEN123").contains("SECRET"));
    }
}
