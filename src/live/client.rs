//! The API Gateway client: the only code that talks to the SDK.
//!
//! Every attempt of every call takes its slot from the account's [`Pacer`] and is retried
//! by tollgate itself (the SDK's own retries are off), as docs/retries.md tabulates.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::error::Error as StdError;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::config::retry::RetryConfig;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_apigateway::operation::get_api_keys::GetApiKeysOutput;
use aws_sdk_apigateway::operation::get_resources::GetResourcesOutput;
use aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput;
use aws_sdk_apigateway::operation::get_usage::GetUsageOutput;
use aws_sdk_apigateway::operation::get_usage_plan_keys::GetUsagePlanKeysOutput;
use aws_sdk_apigateway::operation::get_usage_plans::GetUsagePlansOutput;
use aws_sdk_apigateway::types::UsagePlan;
use aws_sdk_apigateway::Client;

use super::body_limit::BodyLimit;
use super::convert::{self, ConvertError};
use super::error::{from_sdk, AwsError, AwsErrorKind};
use super::pace::{Pace, Pacer};
use super::retry::{self, Retry, RetryBudget, MAX_UNCLEAR_ATTEMPTS, RUN_BUDGET};
use super::server_date::ServerDate;
use super::stop::Stop;
use crate::diff::PatchOp;
use crate::endpoint::{AllowList, Endpoint, EndpointSetting, ForeignEndpoint, ForeignEndpoints};
use crate::model::{
    DesiredApiKey, LiveApiKey, LiveKeys, LivePlan, Named, PlanBody, Tags, CREATION_TAG,
};
use crate::plan::Figures;

/// The largest page GetUsagePlans, GetUsagePlanKeys, GetRestApis, GetApiKeys and GetResources
/// serve.
const PAGE_SIZE: i32 = 500;

/// The most pages one paginated read follows: 500,000 items at AWS's 500 a page, fifty times
/// the largest of AWS's own quotas that a read lists (10,000 API keys per region; 300 usage
/// plans, 600 REST APIs, 300 resources per API). An endpoint that pages on past it is broken
/// or hostile, and the read fails rather than running forever.
pub const MAX_PAGES: usize = 1_000;

/// How long to wait for a connection to AWS.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait for each read from an open connection.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom to connect; each `None` falls back to the standard AWS chain.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// The region, as `--region`.
    pub region: Option<String>,
    /// The named profile, as `--profile`.
    pub profile: Option<String>,
    /// The endpoint given (`--endpoint-url`, a target's `endpoint:`), and where.
    pub endpoint: Option<EndpointSetting>,
}

/// A resource tollgate tags, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged<'a> {
    /// A usage plan.
    Plan(&'a str),
    /// An API key.
    ApiKey(&'a str),
}

/// An API Gateway client for one region, pacing and retrying its calls.
#[derive(Debug, Clone)]
pub struct LiveClient {
    client: Client,
    region: String,
    pacer: Arc<Pacer>,
    budget: Arc<RetryBudget>,
    /// How many attempts one call gets at most.
    max_attempts: u32,
    stop: Stop,
    /// Whether calls go out after a stop request (they finish a step already started).
    finishing: bool,
    /// STS, for [`LiveClient::account_id`] only.
    sts: aws_sdk_sts::Client,
    /// API Gateway's endpoint, when one is set; `None` for AWS's own.
    endpoint: Option<Endpoint>,
    /// STS's endpoint, when one is set; `None` for AWS's own.
    sts_endpoint: Option<Endpoint>,
    /// The hosts `TOLLGATE_ALLOW_ENDPOINTS` allows, which tell why an endpoint is used.
    allowed: AllowList,
    /// The date of AWS's latest answer.
    server_date: ServerDate,
}

/// STS's configuration: the run's, with `endpoint` (`None`: AWS's own STS for the region) in
/// place of any endpoint the SDK found on its own, which may be API Gateway's. API Gateway's
/// client likewise gets its endpoint explicitly.
fn sts_config(config: &aws_types::SdkConfig, endpoint: Option<&Endpoint>) -> aws_sdk_sts::Config {
    let mut builder = aws_sdk_sts::config::Builder::from(config);
    builder.set_endpoint_url(endpoint.map(|endpoint| endpoint.as_str().into()));
    builder.interceptor(BodyLimit).build()
}

/// A failed call, and whether an attempt before the last one may have been carried out.
struct Failure {
    error: AwsError,
    after_unclear: bool,
}

impl LiveClient {
    /// Loads credentials and region from the standard AWS chain, overridden by `connection`,
    /// and each client's endpoint by the endpoint rule (refusing, with nothing sent, an
    /// endpoint it does not allow); calls are paced at `pace`.
    pub async fn connect(connection: &Connection, pace: Pace) -> Result<LiveClient, AwsError> {
        super::settings::check(connection).await?;
        let endpoints =
            super::endpoints::resolve(connection.endpoint.as_ref(), connection.profile.as_deref())
                .await?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .read_timeout(READ_TIMEOUT)
                    .build(),
            );
        if let Some(region) = &connection.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &connection.profile {
            // A profile named explicitly wins over credentials in the environment, as with
            // the AWS CLI's --profile (the default chain would read the environment first).
            let credentials = ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build();
            loader = loader
                .profile_name(profile)
                .credentials_provider(credentials);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|region| region.to_string())
            .ok_or_else(|| AwsError {
                operation: "configuration",
                plan: None,
                kind: AwsErrorKind::Configuration,
                detail: "no AWS region is set: pass --region, set AWS_REGION, or set a region \
                         in the AWS profile"
                    .into(),
            })?;
        let server_date = ServerDate::default();
        let mut api_config = aws_sdk_apigateway::config::Builder::from(&config);
        api_config.set_endpoint_url(endpoints.api_gateway.as_ref().map(|e| e.as_str().into()));
        let api_config = api_config
            .interceptor(server_date.clone())
            .interceptor(BodyLimit);
        Ok(LiveClient {
            client: Client::from_conf(api_config.build()),
            region,
            pacer: Arc::new(Pacer::new(pace)),
            budget: Arc::new(RetryBudget::new(RUN_BUDGET)),
            max_attempts: retry::max_attempts(),
            stop: Stop::default(),
            finishing: false,
            sts: aws_sdk_sts::Client::from_conf(sts_config(&config, endpoints.sts.as_ref())),
            endpoint: endpoints.api_gateway,
            sts_endpoint: endpoints.sts,
            allowed: endpoints.allowed,
            server_date,
        })
    }

    /// This client pacing its calls with `pacer` and stopped by `stop`, which it shares with
    /// the other clients of one run in the same account (AWS states its quotas per account).
    pub fn sharing(self, pacer: Arc<Pacer>, stop: Stop) -> LiveClient {
        LiveClient {
            pacer,
            stop,
            ..self
        }
    }

    /// The flag that stops this client (and its clones) from starting new calls.
    pub fn stop(&self) -> &Stop {
        &self.stop
    }

    /// The account's pacer, for estimates of how long the quotas make a run.
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// A clone whose calls go out even after a stop request: for the calls that finish a
    /// step already started (a key move's addition, a grant's UpdateUsage and record).
    pub fn finishing(&self) -> LiveClient {
        LiveClient {
            finishing: true,
            ..self.clone()
        }
    }

    /// Sends one call through the pacer, again after the failures `retry` allows, within
    /// the attempt limits and the run's retry budget; no retry starts after a stop request.
    async fn call<T, E, F, Fut>(
        &self,
        operation: &'static str,
        retry: Retry,
        mut send: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let mut after_unclear = false;
        let mut unclear = 0;
        let mut attempt = 1;
        loop {
            let sent = match self.slot(operation).await {
                Ok(_key_association) => send().await,
                Err(error) => {
                    return Err(Failure {
                        error,
                        after_unclear,
                    })
                }
            };
            let sdk_error = match sent {
                Ok(answer) => return Ok(answer),
                Err(sdk_error) => sdk_error,
            };
            let hint = retry::retry_after(&sdk_error);
            let error = from_sdk(operation, sdk_error);
            unclear += u32::from(error.kind.may_have_happened());
            let again = retry.allows(error.kind)
                && attempt < self.max_attempts
                && unclear < MAX_UNCLEAR_ATTEMPTS
                && !self.stopped()
                && self.budget.take();
            if !again {
                return Err(Failure {
                    error,
                    after_unclear,
                });
            }
            after_unclear |= unclear > 0;
            let wait = tokio::time::sleep(retry::backoff(attempt, hint));
            if self.finishing {
                wait.await;
            } else {
                tokio::select! {
                    () = wait => {}
                    () = self.stop.requested_now() => return Err(Failure { error, after_unclear }),
                }
            }
            attempt += 1;
        }
    }

    /// Whether new calls are held back: a stop was requested and this client is not
    /// finishing a started step.
    fn stopped(&self) -> bool {
        !self.finishing && self.stop.requested()
    }

    /// Waits for `operation`'s slot from the pacer, or refuses once a stop is requested.
    async fn slot(
        &self,
        operation: &'static str,
    ) -> Result<Option<tokio::sync::MutexGuard<'_, ()>>, AwsError> {
        let interrupted = || AwsError {
            operation,
            plan: None,
            kind: AwsErrorKind::Interrupted,
            detail: "not sent: tollgate was interrupted".into(),
        };
        if self.finishing {
            return Ok(self.pacer.slot(operation).await);
        }
        if self.stop.requested() {
            return Err(interrupted());
        }
        tokio::select! {
            biased;
            () = self.stop.requested_now() => Err(interrupted()),
            guard = self.pacer.slot(operation) => Ok(guard),
        }
    }

    /// The region the client talks to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// API Gateway's endpoint, normalised, when one is set (by the flag, the project file,
    /// the environment or the profile); `None` for AWS's own.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint.as_ref().map(Endpoint::as_str)
    }

    /// STS's endpoint, normalised, when one is set; `None` for AWS's own.
    pub fn sts_endpoint_url(&self) -> Option<&str> {
        self.sts_endpoint.as_ref().map(Endpoint::as_str)
    }

    /// Both endpoints as every view of the run's plan shows them: each one not AWS's own,
    /// with why it is used.
    pub fn foreign_endpoints(&self) -> ForeignEndpoints {
        ForeignEndpoints::of(
            self.endpoint_url(),
            self.sts_endpoint_url(),
            |service, url| ForeignEndpoint::checked(service, url, &self.allowed),
        )
    }

    /// The AWS account the credentials belong to, from STS GetCallerIdentity (which needs no
    /// IAM permission).
    pub async fn account_id(&self) -> Result<String, AwsError> {
        let identity = self
            .call("GetCallerIdentity", Retry::Transient, || {
                self.sts.get_caller_identity().send()
            })
            .await
            .map_err(|failure| failure.error)?;
        identity
            .account()
            .map(str::to_string)
            .ok_or_else(|| AwsError {
                operation: "GetCallerIdentity",
                plan: None,
                kind: AwsErrorKind::Other,
                detail: "STS answered without the account".into(),
            })
    }

    /// The ARN of a resource, as TagResource and UntagResource take it.
    fn arn(&self, resource: Tagged<'_>) -> String {
        resource_arn(&self.region, resource)
    }

    /// Every item of a paginated read: `send` asks for the page at a position (`None`: the
    /// first), `take` gives a page's items and the next position, until there is none.
    async fn every_page<Page, T, E, F, Fut>(
        &self,
        operation: &'static str,
        mut send: F,
        take: impl Fn(&Page) -> Result<(Vec<T>, Option<String>), AwsError>,
    ) -> Result<Vec<T>, AwsError>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<Page, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let mut all = Vec::new();
        let mut position: Option<String> = None;
        let mut paging = Paging::new(operation);
        loop {
            let page = self
                .call(operation, Retry::Transient, || send(position.clone()))
                .await
                .map_err(|failure| failure.error)?;
            let (items, next) = take(&page)?;
            all.extend(items);
            match paging.next(next)? {
                Some(next) => position = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Reads every usage plan of the region with GetUsagePlans, 500 a page, following
    /// `position` to the end.
    pub async fn list_plans(&self) -> Result<Vec<LivePlan>, AwsError> {
        let send = |position| {
            let request = self.client.get_usage_plans().limit(PAGE_SIZE);
            request.set_position(position).send()
        };
        self.every_page("GetUsagePlans", send, |page: &GetUsagePlansOutput| {
            let plans = page.items().iter().map(|plan| {
                convert::live_plan(plan).map_err(|error| unreadable("GetUsagePlans", plan, error))
            });
            Ok((
                plans.collect::<Result<_, _>>()?,
                page.position().map(str::to_string),
            ))
        })
        .await
    }

    /// The ids of the usage plans the API key `key_id` is on (GetUsagePlans with `keyId`,
    /// 500 a page).
    pub async fn plans_with_key(&self, key_id: &str) -> Result<Vec<String>, AwsError> {
        let send = |position| {
            let request = self
                .client
                .get_usage_plans()
                .key_id(key_id)
                .limit(PAGE_SIZE);
            request.set_position(position).send()
        };
        self.every_page("GetUsagePlans", send, |page: &GetUsagePlansOutput| {
            let ids = page
                .items()
                .iter()
                .filter_map(|plan| plan.id().map(str::to_string));
            Ok((ids.collect(), page.position().map(str::to_string)))
        })
        .await
    }

    /// Today (UTC) as AWS's latest answer was dated, or by this machine's clock before any.
    pub fn today(&self) -> time::Date {
        self.server_date.today()
    }

    /// The requests each API key on the usage plan `plan_id` made each day from `start` to
    /// `end` (GetUsage, 500 keys a page). Usage only: no key value is read.
    pub async fn usage(
        &self,
        plan_id: &str,
        start: &str,
        end: &str,
    ) -> Result<BTreeMap<String, Vec<i64>>, AwsError> {
        let send = |position| {
            let request = self
                .client
                .get_usage()
                .usage_plan_id(plan_id)
                .start_date(start)
                .end_date(end)
                .limit(PAGE_SIZE);
            request.set_position(position).send()
        };
        let pages = self.every_page("GetUsage", send, |page: &GetUsageOutput| {
            let keys = page.items().into_iter().flatten().map(|(key_id, days)| {
                let used = days.iter().map(|day| day.first().copied().unwrap_or(0));
                (key_id.clone(), used.collect::<Vec<i64>>())
            });
            Ok((keys.collect(), page.position().map(str::to_string)))
        });
        Ok(pages.await?.into_iter().collect())
    }

    /// Now (Unix seconds) as AWS's latest answer was dated, or by this machine's clock before
    /// any.
    pub fn now(&self) -> i64 {
        self.server_date.now()
    }

    /// The API key's figures on the usage plan for `day` (GetUsage for that key alone, one
    /// call): `None` when AWS gives none. Usage only: no key value is read.
    pub async fn key_usage(
        &self,
        plan_id: &str,
        key_id: &str,
        day: &str,
    ) -> Result<Option<Figures>, AwsError> {
        let page = self
            .call("GetUsage", Retry::Transient, || {
                self.client
                    .get_usage()
                    .usage_plan_id(plan_id)
                    .key_id(key_id)
                    .start_date(day)
                    .end_date(day)
                    .send()
            })
            .await
            .map_err(|failure| failure.error)?;
        let pair = page
            .items()
            .and_then(|keys| keys.get(key_id))
            .and_then(|days| days.first());
        Ok(match pair.map(Vec::as_slice) {
            Some(&[used, remaining, ..]) => Some(Figures { used, remaining }),
            _ => None,
        })
    }

    /// Lists every REST API of the account in the region, 500 a page (GetRestApis): its id
    /// and name, for the YAML's `api:` names.
    pub async fn list_rest_apis(&self) -> Result<Vec<Named>, AwsError> {
        let send = |position| {
            let request = self.client.get_rest_apis().limit(PAGE_SIZE);
            request.set_position(position).send()
        };
        self.every_page("GetRestApis", send, |page: &GetRestApisOutput| {
            let apis = page.items().iter().map(|api| named(api.id(), api.name()));
            Ok((apis.collect(), page.position().map(str::to_string)))
        })
        .await
    }

    /// The stage names of the REST API `api_id` (GetStages: every stage in one answer, not
    /// paginated).
    pub async fn stages(&self, api_id: &str) -> Result<BTreeSet<String>, AwsError> {
        let answer = self
            .call("GetStages", Retry::Transient, || {
                self.client.get_stages().rest_api_id(api_id).send()
            })
            .await
            .map_err(|failure| failure.error)?;
        Ok(answer
            .item()
            .iter()
            .filter_map(|stage| stage.stage_name().map(str::to_string))
            .collect())
    }

    /// The resources of the REST API `api_id`, each path with its HTTP methods (GetResources
    /// with `embed=methods`, 500 a page, following `position` to the end).
    pub async fn resources(
        &self,
        api_id: &str,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, AwsError> {
        let send = |position| {
            let request = self
                .client
                .get_resources()
                .rest_api_id(api_id)
                .embed("methods")
                .limit(PAGE_SIZE);
            request.set_position(position).send()
        };
        let resources = self.every_page("GetResources", send, |page: &GetResourcesOutput| {
            let resources = page.items().iter().filter_map(|resource| {
                let methods = resource.resource_methods().into_iter().flatten();
                let methods = methods.map(|(method, _)| method.clone()).collect();
                Some((resource.path()?.to_string(), methods))
            });
            Ok((
                resources.collect::<Vec<_>>(),
                page.position().map(str::to_string),
            ))
        });
        Ok(resources.await?.into_iter().collect())
    }

    /// Lists every API key of the account in the region, 500 a page (GetApiKeys, values not
    /// asked for): its id, name, description, whether enabled, customer id and tags.
    pub async fn list_api_keys(&self) -> Result<Vec<LiveApiKey>, AwsError> {
        let send = |position| {
            let request = self.client.get_api_keys().limit(PAGE_SIZE);
            request.set_position(position).send()
        };
        self.every_page("GetApiKeys", send, |page: &GetApiKeysOutput| {
            let keys = page.items().iter().map(|key| LiveApiKey {
                id: key.id().unwrap_or_default().to_string(),
                name: key.name().unwrap_or_default().to_string(),
                description: key.description().unwrap_or_default().to_string(),
                enabled: key.enabled(),
                customer_id: key.customer_id().unwrap_or_default().to_string(),
                tags: key
                    .tags()
                    .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            });
            Ok((keys.collect(), page.position().map(str::to_string)))
        })
        .await
    }

    /// Creates an API key as declared, with `value` (else AWS generates one) and `tags`, and
    /// returns its id; the value AWS answers with is dropped unread. Like
    /// [`LiveClient::create_plan`], the request carries a creation marker and is never sent
    /// twice: after an answer that leaves the outcome unknown, the keys are read and the one
    /// carrying the marker adopted.
    pub async fn create_api_key(
        &self,
        key: &DesiredApiKey,
        value: Option<&str>,
        tags: &Tags,
        marker: &str,
    ) -> Result<String, AwsError> {
        let mut tags = tags.clone();
        tags.insert(CREATION_TAG.to_string(), marker.to_string());
        let request = self
            .client
            .create_api_key()
            .name(&key.name)
            .enabled(key.enabled)
            .set_description(Some(key.description.clone()).filter(|d| !d.is_empty()))
            .set_customer_id(Some(key.customer_id.clone()).filter(|c| !c.is_empty()))
            .set_value(value.map(str::to_string))
            .set_tags(Some(convert::sdk_tags(&tags)));
        let created = match self
            .call("CreateApiKey", Retry::Throttled, || request.clone().send())
            .await
        {
            Ok(created) => created,
            Err(Failure { error, .. }) if error.kind.may_have_happened() => {
                return self
                    .adopt_created(Made::ApiKey, &key.name, marker, error)
                    .await
            }
            Err(failure) => return Err(failure.error),
        };
        created.id().map(str::to_string).ok_or_else(|| AwsError {
            operation: "CreateApiKey",
            plan: None,
            kind: AwsErrorKind::Other,
            detail: "AWS answered without the new key's id".into(),
        })
    }

    /// Sends one UpdateApiKey call with these `replace` operations; sending them again is
    /// harmless, so it is retried as is.
    pub async fn update_api_key(
        &self,
        key_id: &str,
        operations: &[PatchOp],
    ) -> Result<(), AwsError> {
        let operations: Vec<_> = operations.iter().map(convert::sdk_patch).collect();
        self.call("UpdateApiKey", Retry::Transient, || {
            self.client
                .update_api_key()
                .api_key(key_id)
                .set_patch_operations(Some(operations.clone()))
                .send()
        })
        .await
        .map_err(|failure| failure.error)?;
        Ok(())
    }

    /// Reads one usage plan (GetUsagePlan).
    pub async fn get_plan(&self, plan_id: &str) -> Result<LivePlan, AwsError> {
        let plan = self
            .call("GetUsagePlan", Retry::Transient, || {
                self.client.get_usage_plan().usage_plan_id(plan_id).send()
            })
            .await
            .map_err(|failure| failure.error)?;
        let plan = UsagePlan::builder()
            .set_id(plan.id)
            .set_name(plan.name)
            .set_description(plan.description)
            .set_api_stages(plan.api_stages)
            .set_throttle(plan.throttle)
            .set_quota(plan.quota)
            .set_product_code(plan.product_code)
            .set_tags(plan.tags)
            .build();
        convert::live_plan(&plan).map_err(|error| unreadable("GetUsagePlan", &plan, error))
    }

    /// Reads the ids of the API keys on each of these usage plans with GetUsagePlanKeys,
    /// 500 a page, following `position` to the end.
    pub async fn list_plan_keys(&self, plan_ids: Vec<String>) -> Result<LiveKeys, AwsError> {
        let mut keys = LiveKeys::new();
        for plan_id in plan_ids {
            let send = |position| {
                let request = self
                    .client
                    .get_usage_plan_keys()
                    .usage_plan_id(&plan_id)
                    .limit(PAGE_SIZE);
                request.set_position(position).send()
            };
            let ids = self
                .every_page("GetUsagePlanKeys", send, |page: &GetUsagePlanKeysOutput| {
                    let ids = page.items().iter().filter_map(|key| key.id());
                    Ok((
                        ids.map(str::to_string).collect(),
                        page.position().map(str::to_string),
                    ))
                })
                .await?;
            keys.entry(plan_id.clone()).or_default().extend(ids);
        }
        Ok(keys)
    }

    /// Whether the API key is on the usage plan (GetUsagePlanKey).
    async fn has_key(&self, plan_id: &str, key_id: &str) -> Result<bool, AwsError> {
        let found = self
            .call("GetUsagePlanKey", Retry::Transient, || {
                self.client
                    .get_usage_plan_key()
                    .usage_plan_id(plan_id)
                    .key_id(key_id)
                    .send()
            })
            .await;
        match found {
            Ok(_) => Ok(true),
            Err(failure) if failure.error.kind == AwsErrorKind::NotFound => Ok(false),
            Err(failure) => Err(failure.error),
        }
    }

    /// Creates a usage plan with everything CreateUsagePlan accepts (all but the product
    /// code) and returns its id.
    ///
    /// The request carries a creation marker, the tag [`CREATION_TAG`] with a token unique to
    /// this create, and is never sent twice: a 429 (a refusal) is waited out and sent again,
    /// but after an answer that leaves the outcome unknown (a timeout, a lost connection, a
    /// 5xx) the plans are read and the one carrying the marker is adopted. When none is
    /// listed yet, the error says the plan may exist; the next apply finds it by its name
    /// instead of creating another.
    ///
    /// `marker` is the token to use, when one was fixed ahead (a saved plan's); else a fresh
    /// one is drawn.
    pub async fn create_plan(
        &self,
        body: &PlanBody,
        tags: &Tags,
        marker: Option<&str>,
    ) -> Result<String, AwsError> {
        let token = marker.map_or_else(creation_token, str::to_string);
        let mut tags = tags.clone();
        tags.insert(CREATION_TAG.to_string(), token.clone());
        let invalid = |error: ConvertError| invalid_input("CreateUsagePlan", error);
        let mut request = self
            .client
            .create_usage_plan()
            .name(&body.name)
            .set_api_stages(Some(convert::sdk_stages(&body.stages).map_err(invalid)?))
            .set_tags(Some(convert::sdk_tags(&tags)));
        if !body.description.is_empty() {
            request = request.description(&body.description);
        }
        if let Some(throttle) = &body.throttle {
            request = request.throttle(convert::sdk_throttle(throttle).map_err(invalid)?);
        }
        if let Some(quota) = &body.quota {
            request = request.quota(convert::sdk_quota(quota).map_err(invalid)?);
        }
        let created = match self
            .call("CreateUsagePlan", Retry::Throttled, || {
                request.clone().send()
            })
            .await
        {
            Ok(created) => created,
            Err(Failure { error, .. }) if error.kind.may_have_happened() => {
                return self
                    .adopt_created(Made::Plan, &body.name, &token, error)
                    .await
            }
            Err(failure) => return Err(failure.error),
        };
        created.id().map(str::to_string).ok_or_else(|| AwsError {
            operation: "CreateUsagePlan",
            plan: None,
            kind: AwsErrorKind::Other,
            detail: "AWS answered without the new plan's id".into(),
        })
    }

    /// After a create whose outcome is unknown: the id of the usage plan or API key carrying
    /// the creation marker `token`, or an error saying that it may exist.
    async fn adopt_created(
        &self,
        made: Made,
        name: &str,
        token: &str,
        error: AwsError,
    ) -> Result<String, AwsError> {
        let unknown = |detail: String| AwsError {
            kind: AwsErrorKind::OutcomeUnknown,
            detail,
            ..error.clone()
        };
        let (what, then) = match made {
            Made::Plan => ("plan", "updates the plan"),
            Made::ApiKey => ("key", "uses the key"),
        };
        let reader = self.finishing();
        let listed = match made {
            Made::Plan => reader.list_plans().await.map(|plans| {
                let marked = plans.into_iter().map(|plan| (plan.id, plan.tags));
                marked.collect::<Vec<_>>()
            }),
            Made::ApiKey => reader.list_api_keys().await.map(|keys| {
                let marked = keys.into_iter().map(|key| (key.id, key.tags));
                marked.collect::<Vec<_>>()
            }),
        };
        let listed = listed.map_err(|read| {
            unknown(format!(
                "{}; the {what} may have been created, and reading the {what}s to find it \
                 failed ({read}); run `tollgate plan` in a minute: once AWS lists it, apply \
                 {then} \"{name}\" instead of creating another",
                error.detail
            ))
        })?;
        if let Some((id, _)) = listed
            .into_iter()
            .find(|(_, tags)| tags.get(CREATION_TAG).map(String::as_str) == Some(token))
        {
            return Ok(id);
        }
        Err(unknown(format!(
            "{}; the {what} may have been created and is not listed yet (tag \
             {CREATION_TAG}={token}), so it was not sent again; run `tollgate plan` in a minute: \
             once AWS lists it, apply {then} \"{name}\" instead of creating another",
            error.detail
        )))
    }

    /// Sends one UpdateUsagePlan call with these operations, in this order. It is sent
    /// again only after a 429: repeated operations may fail (`add` of a stage already
    /// there), so after an unknown outcome the caller reads the plan back instead.
    pub async fn update_plan(&self, plan_id: &str, operations: &[PatchOp]) -> Result<(), AwsError> {
        let operations: Vec<_> = operations.iter().map(convert::sdk_patch).collect();
        self.call("UpdateUsagePlan", Retry::Throttled, || {
            self.client
                .update_usage_plan()
                .usage_plan_id(plan_id)
                .set_patch_operations(Some(operations.clone()))
                .send()
        })
        .await
        .map_err(|failure| failure.error)?;
        Ok(())
    }

    /// Puts an API key on a usage plan (CreateUsagePlanKey). A 409 after an attempt whose
    /// outcome is unknown is checked with GetUsagePlanKey: the key may be on this plan
    /// already (done) or on another plan sharing a stage (the conflict stands).
    pub async fn add_key(&self, plan_id: &str, key_id: &str) -> Result<(), AwsError> {
        let added = self
            .call("CreateUsagePlanKey", Retry::Transient, || {
                self.client
                    .create_usage_plan_key()
                    .usage_plan_id(plan_id)
                    .key_id(key_id)
                    .key_type("API_KEY")
                    .send()
            })
            .await;
        self.settle_association(
            added.map(drop),
            plan_id,
            key_id,
            AwsErrorKind::Conflict,
            true,
        )
        .await
    }

    /// Deletes a usage plan (DeleteUsagePlan); AWS refuses while it has stages. A 404 means
    /// the plan is gone already (an earlier attempt whose answer was lost, or another
    /// pipeline), which is what was asked.
    pub async fn delete_plan(&self, plan_id: &str) -> Result<(), AwsError> {
        let deleted = self
            .call("DeleteUsagePlan", Retry::Transient, || {
                self.client
                    .delete_usage_plan()
                    .usage_plan_id(plan_id)
                    .send()
            })
            .await;
        gone(deleted.map(drop))
    }

    /// Deletes an API key (DeleteApiKey); a 404 means it is gone already, as for
    /// [`LiveClient::delete_plan`].
    pub async fn delete_api_key(&self, key_id: &str) -> Result<(), AwsError> {
        let deleted = self
            .call("DeleteApiKey", Retry::Transient, || {
                self.client.delete_api_key().api_key(key_id).send()
            })
            .await;
        gone(deleted.map(drop))
    }

    /// Takes an API key off a usage plan (DeleteUsagePlanKey). A 404 after an attempt whose
    /// outcome is unknown is checked with GetUsagePlanKey: the key being off the plan is
    /// what was asked.
    pub async fn remove_key(&self, plan_id: &str, key_id: &str) -> Result<(), AwsError> {
        let removed = self
            .call("DeleteUsagePlanKey", Retry::Transient, || {
                self.client
                    .delete_usage_plan_key()
                    .usage_plan_id(plan_id)
                    .key_id(key_id)
                    .send()
            })
            .await;
        self.settle_association(
            removed.map(drop),
            plan_id,
            key_id,
            AwsErrorKind::NotFound,
            false,
        )
        .await
    }

    /// Settles a key association's call: `refusal` (a 409 to an addition, a 404 to a
    /// removal) after an attempt whose outcome is unknown may mean that attempt worked, so
    /// GetUsagePlanKey decides: done when the key is on the plan as `wanted_on_plan` says,
    /// else the refusal stands.
    async fn settle_association(
        &self,
        sent: Result<(), Failure>,
        plan_id: &str,
        key_id: &str,
        refusal: AwsErrorKind,
        wanted_on_plan: bool,
    ) -> Result<(), AwsError> {
        match sent {
            Ok(()) => Ok(()),
            Err(Failure {
                error,
                after_unclear: true,
            }) if error.kind == refusal => {
                if self.finishing().has_key(plan_id, key_id).await? == wanted_on_plan {
                    Ok(())
                } else {
                    Err(error)
                }
            }
            Err(failure) => Err(failure.error),
        }
    }

    /// Sets tags on a usage plan or an API key (TagResource); setting a value twice is
    /// harmless, so it is retried as is.
    pub async fn tag(&self, resource: Tagged<'_>, tags: &Tags) -> Result<(), AwsError> {
        let arn = self.arn(resource);
        let tags = convert::sdk_tags(tags);
        self.call("TagResource", Retry::Transient, || {
            self.client
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await
        .map_err(|failure| failure.error)?;
        Ok(())
    }

    /// Removes tags from a usage plan or an API key (UntagResource); retried as is.
    pub async fn untag(&self, resource: Tagged<'_>, keys: &[String]) -> Result<(), AwsError> {
        let arn = self.arn(resource);
        self.call("UntagResource", Retry::Transient, || {
            self.client
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
        })
        .await
        .map_err(|failure| failure.error)?;
        Ok(())
    }

    /// Sets a key's remaining quota for the current period (UpdateUsage `replace
    /// /remaining`). Sent again only after a 429: a repeat would grant the quota twice.
    pub async fn update_usage(
        &self,
        plan_id: &str,
        key_id: &str,
        operations: &[PatchOp],
    ) -> Result<(), AwsError> {
        let operations: Vec<_> = operations.iter().map(convert::sdk_patch).collect();
        self.call("UpdateUsage", Retry::Throttled, || {
            self.client
                .update_usage()
                .usage_plan_id(plan_id)
                .key_id(key_id)
                .set_patch_operations(Some(operations.clone()))
                .send()
        })
        .await
        .map_err(|failure| failure.error)?;
        Ok(())
    }
}

/// The ARN of a resource in `region`, as TagResource and UntagResource take it (and the AWS
/// CLI's `tag-resource`).
pub fn resource_arn(region: &str, resource: Tagged<'_>) -> String {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    let path = match resource {
        Tagged::Plan(id) => format!("/usageplans/{id}"),
        Tagged::ApiKey(id) => format!("/apikeys/{id}"),
    };
    format!("arn:{partition}:apigateway:{region}::{path}")
}

/// A creation marker's token, unique to one create: 128 random bits in hex.
pub fn creation_token() -> String {
    format!("{:016x}{:016x}", retry::random_u64(), retry::random_u64())
}

/// An error for a live plan tollgate cannot read.
/// An id and a name as AWS lists them; absent ones are empty.
fn named(id: Option<&str>, name: Option<&str>) -> Named {
    Named {
        id: id.unwrap_or_default().to_owned(),
        name: name.unwrap_or_default().to_owned(),
    }
}

fn unreadable(operation: &'static str, plan: &UsagePlan, error: ConvertError) -> AwsError {
    AwsError {
        operation,
        plan: None,
        kind: AwsErrorKind::Other,
        detail: error.to_string(),
    }
    .on_plan(plan.name().unwrap_or_default(), plan.id())
}

/// An error for a desired value AWS cannot hold, found before anything is sent.
fn invalid_input(operation: &'static str, error: ConvertError) -> AwsError {
    AwsError {
        operation,
        plan: None,
        kind: AwsErrorKind::Invalid,
        detail: error.to_string(),
    }
}

/// A delete's outcome: done, or a 404 (nothing left to delete), or its failure.
fn gone(deleted: Result<(), Failure>) -> Result<(), AwsError> {
    match deleted {
        Err(failure) if failure.error.kind != AwsErrorKind::NotFound => Err(failure.error),
        Ok(()) | Err(_) => Ok(()),
    }
}

/// The `position`s a paginated read has followed, which end it with an error when the
/// endpoint answers one it gave before, an empty one, or more than [`MAX_PAGES`] pages: paging
/// that would never end.
struct Paging {
    operation: &'static str,
    /// A hash of each position given so far (positions are the endpoint's text, of any length).
    seen: HashSet<u64>,
    hasher: RandomState,
    pages: usize,
}

impl Paging {
    fn new(operation: &'static str) -> Paging {
        Paging {
            operation,
            seen: HashSet::new(),
            hasher: RandomState::new(),
            pages: 0,
        }
    }

    /// The position to ask for after a page that gave `next`; `None` at the end.
    fn next(&mut self, next: Option<String>) -> Result<Option<String>, AwsError> {
        self.pages += 1;
        let Some(next) = next else {
            return Ok(None);
        };
        let endless = |what: String| AwsError {
            operation: self.operation,
            plan: None,
            kind: AwsErrorKind::BadAnswer,
            detail: format!("{what}, so its paging would never end; reading stopped there"),
        };
        if next.is_empty() {
            return Err(endless(format!(
                "page {} answered an empty `position`",
                self.pages
            )));
        }
        if !self.seen.insert(self.hasher.hash_one(&next)) {
            return Err(endless(format!(
                "page {} answered a `position` an earlier page gave",
                self.pages
            )));
        }
        if self.pages >= MAX_PAGES {
            return Err(endless(format!(
                "page {MAX_PAGES} still answered a `position` (tollgate follows at most \
                 {MAX_PAGES} pages, far more than AWS's quotas fill)"
            )));
        }
        Ok(Some(next))
    }
}

/// What a create made, for [`LiveClient::adopt_created`].
#[derive(Debug, Clone, Copy)]
enum Made {
    Plan,
    ApiKey,
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use aws_credential_types::Credentials;
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
    use aws_smithy_runtime_api::client::interceptors::Intercept;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::config_bag::ConfigBag;

    use super::*;

    fn follow(positions: &[Option<&str>]) -> Result<usize, AwsError> {
        let mut paging = Paging::new("GetUsagePlans");
        for (page, next) in positions.iter().enumerate() {
            if paging.next(next.map(str::to_string))?.is_none() {
                return Ok(page + 1);
            }
        }
        Ok(positions.len())
    }

    #[test]
    fn paging_follows_new_positions_to_the_end() {
        assert_eq!(follow(&[Some("a"), Some("b"), None]), Ok(3));
    }

    #[test]
    fn a_repeated_or_empty_position_ends_paging_with_an_error_naming_it() {
        for positions in [
            &[Some("a"), Some("a")][..],
            &[Some("a"), Some("b"), Some("a")],
            &[Some("")],
        ] {
            let error = follow(positions).unwrap_err();
            assert_eq!(error.kind, AwsErrorKind::BadAnswer);
            assert!(error.to_string().contains("`position`"), "{error}");
        }
    }

    #[test]
    fn paging_stops_after_the_page_cap() {
        let positions: Vec<String> = (0..=MAX_PAGES).map(|page| page.to_string()).collect();
        let positions: Vec<Option<&str>> = positions.iter().map(|p| Some(p.as_str())).collect();
        let error = follow(&positions).unwrap_err();
        assert!(error.detail.contains("page 1000 still answered"), "{error}");
        let within: Vec<Option<&str>> = positions[..MAX_PAGES - 1]
            .iter()
            .copied()
            .chain([None])
            .collect();
        assert_eq!(follow(&within), Ok(MAX_PAGES));
    }

    /// Keeps the URI of the request about to go out, and stops it there.
    #[derive(Debug, Default, Clone)]
    struct Stopped(Arc<Mutex<Option<String>>>);

    impl Intercept for Stopped {
        fn name(&self) -> &'static str {
            "Stopped"
        }

        fn read_before_transmit(
            &self,
            context: &BeforeTransmitInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            *self.0.lock().unwrap() = Some(context.request().uri().to_string());
            Err("stopped before sending".into())
        }
    }

    /// Where the STS client made from a run's configuration whose endpoint is `run_endpoint`
    /// would send GetCallerIdentity, given `endpoint`.
    async fn sts_destination(run_endpoint: &str, endpoint: Option<&str>) -> String {
        let config =
            aws_types::SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(aws_config::Region::new("eu-west-1"))
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(
                        Credentials::new("AKIDTEST", "test-secret", None, None, "test"),
                    ),
                )
                .endpoint_url(run_endpoint)
                .build();
        let endpoint = endpoint.map(|url| Endpoint::parse(url).unwrap());
        let stopped = Stopped::default();
        let sts_config = sts_config(&config, endpoint.as_ref())
            .to_builder()
            .interceptor(stopped.clone())
            .build();
        let sent = aws_sdk_sts::Client::from_conf(sts_config)
            .get_caller_identity()
            .send()
            .await;
        assert!(sent.is_err());
        let uri = stopped.0.lock().unwrap().clone();
        uri.expect("the request reached the interceptor")
    }

    #[tokio::test]
    async fn sts_goes_to_awss_sts_when_the_run_names_api_gateways_host() {
        let api_gateway = "https://apigateway.eu-west-1.amazonaws.com";
        assert_eq!(
            sts_destination(api_gateway, None).await,
            "https://sts.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            sts_destination(api_gateway, Some("http://127.0.0.1:4566")).await,
            "http://127.0.0.1:4566/"
        );
    }
}
