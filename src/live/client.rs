//! The API Gateway client: the only code that talks to the SDK.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_apigateway::config::retry::RetryConfig;
use aws_sdk_apigateway::types::UsagePlan;
use aws_sdk_apigateway::Client;

use super::convert::{self, ConvertError};
use super::error::{from_sdk, AwsError, AwsErrorKind};
use super::retry::ResourceLimitIsFinal;
use crate::diff::PatchOp;
use crate::model::{LiveKeys, LivePlan, PlanBody, Tags, CREATION_TAG};

/// The largest page GetUsagePlans and GetUsagePlanKeys serve.
const PAGE_SIZE: i32 = 500;

/// Where and as whom to connect; each `None` falls back to the standard AWS chain.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// The region, as `--region`.
    pub region: Option<String>,
    /// The named profile, as `--profile`.
    pub profile: Option<String>,
    /// The endpoint, as `--endpoint-url`.
    pub endpoint_url: Option<String>,
}

/// An API Gateway client for one region.
#[derive(Debug, Clone)]
pub struct LiveClient {
    client: Client,
    region: String,
    /// STS, for [`LiveClient::account_id`] only.
    sts: aws_sdk_sts::Client,
    /// The endpoint configured (`--endpoint-url` or `AWS_ENDPOINT_URL`), if any.
    endpoint_url: Option<String>,
}

impl LiveClient {
    /// Loads credentials, region and endpoint from the standard AWS chain, overridden by
    /// `connection`.
    pub async fn connect(connection: &Connection) -> Result<LiveClient, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &connection.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &connection.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &connection.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|region| region.to_string())
            .ok_or_else(|| AwsError {
                operation: "configuration",
                plan: None,
                kind: AwsErrorKind::Configuration,
                detail: "no AWS region is set".into(),
            })?;
        let service_config = aws_sdk_apigateway::config::Builder::from(&config)
            .retry_classifier(ResourceLimitIsFinal)
            .build();
        Ok(LiveClient {
            client: Client::from_conf(service_config),
            region,
            sts: aws_sdk_sts::Client::new(&config),
            endpoint_url: config.endpoint_url().map(str::to_string),
        })
    }

    /// The region the client talks to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The endpoint set by `--endpoint-url` or `AWS_ENDPOINT_URL` (or a profile's
    /// `endpoint_url`); `None` for AWS's own.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }

    /// The AWS account the credentials belong to, from STS GetCallerIdentity (which needs no
    /// IAM permission).
    pub async fn account_id(&self) -> Result<String, AwsError> {
        let identity = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|error| from_sdk("GetCallerIdentity", error))?;
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

    /// The ARN of a usage plan, as TagResource and UntagResource take it.
    fn plan_arn(&self, plan_id: &str) -> String {
        let partition = if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        format!(
            "arn:{partition}:apigateway:{}::/usageplans/{plan_id}",
            self.region
        )
    }

    /// Reads every usage plan of the region with GetUsagePlans, 500 a page, following
    /// `position` to the end.
    pub async fn list_plans(&self) -> Result<Vec<LivePlan>, AwsError> {
        let plans = self
            .client
            .get_usage_plans()
            .into_paginator()
            .page_size(PAGE_SIZE)
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| from_sdk("GetUsagePlans", error))?;
        plans
            .iter()
            .map(|plan| {
                convert::live_plan(plan).map_err(|error| unreadable("GetUsagePlans", plan, error))
            })
            .collect()
    }

    /// Reads the ids of the API keys on each of these usage plans with GetUsagePlanKeys,
    /// 500 a page, following `position` to the end.
    pub async fn list_plan_keys(&self, plan_ids: Vec<String>) -> Result<LiveKeys, AwsError> {
        let mut keys = LiveKeys::new();
        for plan_id in plan_ids {
            let page_items = self
                .client
                .get_usage_plan_keys()
                .usage_plan_id(&plan_id)
                .into_paginator()
                .page_size(PAGE_SIZE)
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|error| from_sdk("GetUsagePlanKeys", error))?;
            let ids = page_items
                .iter()
                .filter_map(|key| key.id().map(str::to_string))
                .collect();
            keys.insert(plan_id, ids);
        }
        Ok(keys)
    }

    /// Creates a usage plan with everything CreateUsagePlan accepts (all but the product
    /// code) and returns its id.
    ///
    /// The request carries a creation marker, the tag [`CREATION_TAG`] with a token unique to
    /// this create, and is never sent twice: AWS's 429 (a refusal) is waited out and sent
    /// again, but after an answer that leaves the outcome unknown (a timeout, a closed
    /// connection, a 5xx) the plans are read and the one carrying the marker is adopted.
    /// When none is listed yet, the error says the plan may exist; the next apply finds it
    /// by its name instead of creating another.
    pub async fn create_plan(&self, body: &PlanBody, tags: &Tags) -> Result<String, AwsError> {
        let token = creation_token();
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
        let sent = sent_unless_unclear(|| async {
            request
                .clone()
                .customize()
                .config_override(without_sdk_retries())
                .send()
                .await
                .map_err(|error| from_sdk("CreateUsagePlan", error))
        })
        .await;
        let created = match sent {
            Ok(created) => created,
            Err(error) if error.kind.may_have_happened() => {
                return self.adopt_created(&body.name, &token, error).await
            }
            Err(error) => return Err(error),
        };
        created.id().map(str::to_string).ok_or_else(|| AwsError {
            operation: "CreateUsagePlan",
            plan: None,
            kind: AwsErrorKind::Other,
            detail: "AWS answered without the new plan's id".into(),
        })
    }

    /// After a create whose outcome is unknown: the id of the plan carrying the creation
    /// marker `token`, or an error saying that the plan may exist.
    async fn adopt_created(
        &self,
        name: &str,
        token: &str,
        error: AwsError,
    ) -> Result<String, AwsError> {
        let plans = self.list_plans().await?;
        if let Some(plan) = plans
            .iter()
            .find(|plan| plan.tags.get(CREATION_TAG).map(String::as_str) == Some(token))
        {
            return Ok(plan.id.clone());
        }
        Err(AwsError {
            kind: AwsErrorKind::OutcomeUnknown,
            detail: format!(
                "{}; the plan may have been created and is not listed yet (tag {CREATION_TAG}={token}),                  so it was not sent again; run `tollgate apply` again later: it finds the plan                  \"{name}\" instead of creating another",
                error.detail
            ),
            ..error
        })
    }

    /// Sends one UpdateUsagePlan call with these operations, in this order.
    pub async fn update_plan(&self, plan_id: &str, operations: &[PatchOp]) -> Result<(), AwsError> {
        self.client
            .update_usage_plan()
            .usage_plan_id(plan_id)
            .set_patch_operations(Some(operations.iter().map(convert::sdk_patch).collect()))
            .send()
            .await
            .map_err(|error| from_sdk("UpdateUsagePlan", error))?;
        Ok(())
    }

    /// Puts an API key on a usage plan (CreateUsagePlanKey).
    pub async fn add_key(&self, plan_id: &str, key_id: &str) -> Result<(), AwsError> {
        self.client
            .create_usage_plan_key()
            .usage_plan_id(plan_id)
            .key_id(key_id)
            .key_type("API_KEY")
            .send()
            .await
            .map_err(|error| from_sdk("CreateUsagePlanKey", error))?;
        Ok(())
    }

    /// Takes an API key off a usage plan (DeleteUsagePlanKey).
    pub async fn remove_key(&self, plan_id: &str, key_id: &str) -> Result<(), AwsError> {
        self.client
            .delete_usage_plan_key()
            .usage_plan_id(plan_id)
            .key_id(key_id)
            .send()
            .await
            .map_err(|error| from_sdk("DeleteUsagePlanKey", error))?;
        Ok(())
    }

    /// Sets tags on a usage plan (TagResource).
    pub async fn tag_plan(&self, plan_id: &str, tags: &Tags) -> Result<(), AwsError> {
        self.client
            .tag_resource()
            .resource_arn(self.plan_arn(plan_id))
            .set_tags(Some(convert::sdk_tags(tags)))
            .send()
            .await
            .map_err(|error| from_sdk("TagResource", error))?;
        Ok(())
    }

    /// Removes tags from a usage plan (UntagResource).
    pub async fn untag_plan(&self, plan_id: &str, keys: &[String]) -> Result<(), AwsError> {
        self.client
            .untag_resource()
            .resource_arn(self.plan_arn(plan_id))
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|error| from_sdk("UntagResource", error))?;
        Ok(())
    }

    /// Sets a key's remaining quota for the current period (UpdateUsage `replace /remaining`).
    pub async fn update_usage(
        &self,
        plan_id: &str,
        key_id: &str,
        operations: &[PatchOp],
    ) -> Result<(), AwsError> {
        let request = self
            .client
            .update_usage()
            .usage_plan_id(plan_id)
            .key_id(key_id)
            .set_patch_operations(Some(operations.iter().map(convert::sdk_patch).collect()));
        sent_unless_unclear(|| async {
            request
                .clone()
                .customize()
                .config_override(without_sdk_retries())
                .send()
                .await
                .map_err(|error| from_sdk("UpdateUsage", error))
        })
        .await?;
        Ok(())
    }
}

/// How many times a request that must not be repeated blindly is sent when AWS keeps
/// refusing it with a 429.
const THROTTLED_ATTEMPTS: u32 = 8;

/// The longest wait between two such attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Sends a request that must not be sent twice: again only after AWS refused it with a 429
/// (exponential backoff with full jitter), never after an answer that leaves its outcome
/// unknown.
async fn sent_unless_unclear<T, F, Fut>(mut send: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 1;
    loop {
        match send().await {
            Err(error) if error.kind == AwsErrorKind::Throttled && attempt < THROTTLED_ATTEMPTS => {
                tokio::time::sleep(full_jitter(attempt)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// A random wait from 0 to 100 ms x 2^attempt, at most [`MAX_BACKOFF`] (full jitter).
fn full_jitter(attempt: u32) -> Duration {
    let ceiling = Duration::from_millis(100)
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_BACKOFF);
    let fraction = (random_u64() >> 11) as f64 / (1u64 << 53) as f64;
    ceiling.mul_f64(fraction)
}

/// A random number from the standard library's randomly keyed hasher.
fn random_u64() -> u64 {
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A token unique to one CreateUsagePlan call: 128 random bits in hex.
fn creation_token() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

/// The SDK's settings for one call whose retries tollgate makes itself.
fn without_sdk_retries() -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// An error for a live plan tollgate cannot read.
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
