//! Differential tests: the same calls, through the real Rust SDK, against the emulator and
//! against moto 5.2.5.
//!
//! Where moto implements a call, both must be seen to answer alike (ids normalised). Where
//! moto is known to differ (what these tests found), the difference itself is asserted, one
//! test per difference named after it: a moto upgrade that fixes one makes that test fail,
//! and the pin can then be revisited.

use std::collections::{BTreeMap, HashMap};

mod common;

use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_apigateway::types::{
    ApiStage, PatchOperation, QuotaPeriodType, QuotaSettings, ThrottleSettings, UsagePlan,
    UsagePlanKey,
};
use aws_sdk_apigateway::Client;
use common::{patch_op, PETS_API};
use serde_json::{json, Value};
use tollgate_sim::{Config, Quotas, Seed, Sim};
use tollgate_testkit::{sdk_client_without_retries, MotoServer};

/// The REST API both sides use. moto validates no stage, so it needs nothing created.
const API_ID: &str = "a1b2c3d4e5";

/// The emulator and moto side by side, each with an SDK client.
struct Backends {
    _sim: Sim,
    _moto: MotoServer,
    sim: Client,
    moto: Client,
}

impl Backends {
    /// Both backends, the emulator seeded with [`PETS_API`], quotas off.
    async fn start() -> Backends {
        Self::start_with(None).await
    }

    /// Both backends, the emulator seeded with [`PETS_API`] and with `quotas`.
    async fn start_with(quotas: Option<Quotas>) -> Backends {
        let moto_server = MotoServer::start();
        let sim_server = Sim::start(Config {
            seed: Some(Seed::from_yaml_str(PETS_API).expect("valid seed")),
            quotas,
            ..Config::default()
        })
        .await
        .expect("start the emulator");
        // One attempt per call: the tests compare single answers, and a retried 500 on moto's
        // development server can end on a closed connection instead of its answer.
        Backends {
            sim: sdk_client_without_retries(&sim_server.endpoint()),
            moto: sdk_client_without_retries(&moto_server.endpoint()),
            _sim: sim_server,
            _moto: moto_server,
        }
    }

    /// Both clients, named, emulator first.
    fn both(&self) -> [(&'static str, &Client); 2] {
        [("emulator", &self.sim), ("moto", &self.moto)]
    }

    /// Runs `calls` against the emulator, then against moto: their answers, emulator first.
    async fn on_both<T>(&self, calls: impl AsyncFn(&Client) -> T) -> [T; 2] {
        [calls(&self.sim).await, calls(&self.moto).await]
    }
}

/// [`Backends::on_both`] on fresh [`Backends::start`]ed backends.
async fn on_fresh_backends<T>(calls: impl AsyncFn(&Client) -> T) -> [T; 2] {
    Backends::start().await.on_both(calls).await
}

// ---------------------------------------------------------------------------------------
// Building requests

fn throttle(burst: i32, rate: f64) -> ThrottleSettings {
    ThrottleSettings::builder()
        .burst_limit(burst)
        .rate_limit(rate)
        .build()
}

fn quota(limit: i32, period: QuotaPeriodType) -> QuotaSettings {
    QuotaSettings::builder()
        .limit(limit)
        .offset(0)
        .period(period)
        .build()
}

/// Stage prod of [`API_ID`] with a method throttle on `/pets/GET` (burst 20, rate 10).
fn prod_with_pets_get_throttle() -> ApiStage {
    stage("prod", &[("/pets/GET", throttle(20, 10.0))])
}

/// Stage `stage` of [`API_ID`] with the given method throttles.
fn stage(stage: &str, methods: &[(&str, ThrottleSettings)]) -> ApiStage {
    let throttles: HashMap<String, ThrottleSettings> = methods
        .iter()
        .map(|(key, t)| (key.to_string(), t.clone()))
        .collect();
    ApiStage::builder()
        .api_id(API_ID)
        .stage(stage)
        .set_throttle((!throttles.is_empty()).then_some(throttles))
        .build()
}

/// Creates a plan named `name` with a plan throttle; returns its id.
async fn create_plan(client: &Client, name: &str, stages: Vec<ApiStage>) -> String {
    let plan = client
        .create_usage_plan()
        .name(name)
        .throttle(throttle(200, 100.0))
        .set_api_stages(Some(stages))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {}", DisplayErrorContext(&e)));
    plan.id().expect("a created plan has an id").to_owned()
}

/// Creates an API key named `name`; returns its id.
async fn create_key(client: &Client, name: &str) -> String {
    let key = client
        .create_api_key()
        .name(name)
        .enabled(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create key {name}: {}", DisplayErrorContext(&e)));
    key.id().expect("a created key has an id").to_owned()
}

/// Sends one CreateUsagePlanKey: API key `key` on plan `plan`.
async fn add_key(
    client: &Client,
    plan: &str,
    key: &str,
) -> Result<
    aws_sdk_apigateway::operation::create_usage_plan_key::CreateUsagePlanKeyOutput,
    SdkError<
        aws_sdk_apigateway::operation::create_usage_plan_key::CreateUsagePlanKeyError,
        HttpResponse,
    >,
> {
    client
        .create_usage_plan_key()
        .usage_plan_id(plan)
        .key_id(key)
        .key_type("API_KEY")
        .send()
        .await
}

/// Sends one UpdateUsagePlan with `ops`.
async fn update(
    client: &Client,
    plan_id: &str,
    ops: Vec<PatchOperation>,
) -> Result<
    aws_sdk_apigateway::operation::update_usage_plan::UpdateUsagePlanOutput,
    SdkError<aws_sdk_apigateway::operation::update_usage_plan::UpdateUsagePlanError, HttpResponse>,
> {
    client
        .update_usage_plan()
        .usage_plan_id(plan_id)
        .set_patch_operations(Some(ops))
        .send()
        .await
}

/// The error code (`x-amzn-ErrorType`; `HTTP <status>` when the answer had none, as moto's
/// HTML error pages do) and message of a failed call.
fn failure<E>(err: &SdkError<E, HttpResponse>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = match (err.code(), err.raw_response()) {
        (Some(code), _) => code.to_owned(),
        (None, Some(raw)) => format!("HTTP {}", raw.status().as_u16()),
        (None, None) => "no answer".to_owned(),
    };
    let message = match err.message() {
        Some(message) => message.to_owned(),
        None => DisplayErrorContext(err).to_string(),
    };
    (code, message)
}

/// [`failure`] of a call that must have failed.
fn error_of<T, E>(result: Result<T, SdkError<E, HttpResponse>>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(_) => panic!("expected the call to fail"),
        Err(err) => failure(&err),
    }
}

/// The error code of a failed call (see [`failure`]), or the answer mapped by `ok`.
fn code_or<T, U, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    ok: impl FnOnce(T) -> U,
) -> Result<U, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    result.map(ok).map_err(|err| failure(&err).0)
}

// ---------------------------------------------------------------------------------------
// Observing answers, ids normalised

/// Gives every id (and API key value) a stable name by order of first appearance, so that
/// two backends that make up different ids can be compared.
#[derive(Default)]
struct Ids(BTreeMap<String, String>);

impl Ids {
    fn name(&mut self, id: Option<&str>) -> Value {
        let Some(id) = id else { return Value::Null };
        let next = format!("#{}", self.0.len() + 1);
        json!(self.0.entry(id.to_owned()).or_insert(next))
    }
}

/// The observable parts of an SDK answer as JSON.
trait Observe {
    fn observe(&self, ids: &mut Ids) -> Value;
}

fn throttle_json(t: &ThrottleSettings) -> Value {
    json!({ "burstLimit": t.burst_limit(), "rateLimit": t.rate_limit() })
}

/// A usage plan's fields; stages sorted (moto keeps them in insertion order, see
/// `moto_keeps_api_stages_in_insertion_order`), no tags and empty tags alike.
macro_rules! observe_plans {
    ($($plan:ty),+) => {$(
        impl Observe for $plan {
            fn observe(&self, ids: &mut Ids) -> Value {
                let mut stages: Vec<Value> = self
                    .api_stages()
                    .iter()
                    .map(|s| {
                        let methods: BTreeMap<&String, Value> = s
                            .throttle()
                            .into_iter()
                            .flatten()
                            .map(|(k, t)| (k, throttle_json(t)))
                            .collect();
                        json!({ "apiId": s.api_id(), "stage": s.stage(), "throttle": methods })
                    })
                    .collect();
                stages.sort_by_key(|s| s.to_string());
                let tags: BTreeMap<&String, &String> = self.tags().into_iter().flatten().collect();
                json!({
                    "id": ids.name(self.id()),
                    "name": self.name(),
                    "description": self.description(),
                    "productCode": self.product_code(),
                    "throttle": self.throttle().map(throttle_json),
                    "quota": self.quota().map(|q| json!({
                        "limit": q.limit(),
                        "offset": q.offset(),
                        "period": q.period().map(QuotaPeriodType::as_str),
                    })),
                    "apiStages": stages,
                    "tags": tags,
                })
            }
        }
    )+};
}

observe_plans!(
    UsagePlan,
    aws_sdk_apigateway::operation::create_usage_plan::CreateUsagePlanOutput,
    aws_sdk_apigateway::operation::get_usage_plan::GetUsagePlanOutput,
    aws_sdk_apigateway::operation::update_usage_plan::UpdateUsagePlanOutput
);

/// A usage plan key's fields, its value left out: that has a test of its own,
/// `usage_plan_keys_carry_the_key_value`.
macro_rules! observe_plan_keys {
    ($($key:ty),+) => {$(
        impl Observe for $key {
            fn observe(&self, ids: &mut Ids) -> Value {
                json!({
                    "id": ids.name(self.id()),
                    "type": self.r#type(),
                    "name": self.name(),
                })
            }
        }
    )+};
}

observe_plan_keys!(
    UsagePlanKey,
    aws_sdk_apigateway::operation::create_usage_plan_key::CreateUsagePlanKeyOutput,
    aws_sdk_apigateway::operation::get_usage_plan_key::GetUsagePlanKeyOutput
);

/// A list, sorted by name so that the backends' orders do not matter; `position` kept.
macro_rules! observe_lists {
    ($($list:ty),+) => {$(
        impl Observe for $list {
            fn observe(&self, ids: &mut Ids) -> Value {
                let mut items: Vec<_> = self.items().iter().collect();
                items.sort_by_key(|item| item.name().map(str::to_owned));
                let items: Vec<Value> = items.into_iter().map(|i| i.observe(ids)).collect();
                json!({ "items": items, "position": self.position().is_some() })
            }
        }
    )+};
}

observe_lists!(
    aws_sdk_apigateway::operation::get_usage_plans::GetUsagePlansOutput,
    aws_sdk_apigateway::operation::get_usage_plan_keys::GetUsagePlanKeysOutput
);

impl Observe for aws_sdk_apigateway::operation::create_api_key::CreateApiKeyOutput {
    fn observe(&self, ids: &mut Ids) -> Value {
        json!({ "id": ids.name(self.id()), "name": self.name(), "enabled": self.enabled() })
    }
}

impl Observe for aws_sdk_apigateway::operation::delete_usage_plan_key::DeleteUsagePlanKeyOutput {
    fn observe(&self, _: &mut Ids) -> Value {
        json!("deleted")
    }
}

impl Observe for aws_sdk_apigateway::operation::delete_usage_plan::DeleteUsagePlanOutput {
    fn observe(&self, _: &mut Ids) -> Value {
        json!("deleted")
    }
}

/// What one backend answered, step by step.
#[derive(Default)]
struct Transcript {
    ids: Ids,
    steps: Vec<(&'static str, Value)>,
}

impl Transcript {
    /// Records the answer (or the error's code and message) of step `label`; returns the
    /// answer for the steps that need its ids.
    fn record<T, E>(
        &mut self,
        label: &'static str,
        result: Result<T, SdkError<E, HttpResponse>>,
    ) -> Option<T>
    where
        T: Observe,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let value = match &result {
            Ok(answer) => answer.observe(&mut self.ids),
            Err(err) => {
                let (code, message) = failure(err);
                json!({ "error": code, "message": message })
            }
        };
        self.steps.push((label, value));
        result.ok()
    }
}

/// The scripted sequence: the calls and patch paths moto implements, in the forms tollgate
/// sends them.
async fn script(client: &Client) -> Transcript {
    let mut t = Transcript::default();
    let gold = t
        .record(
            "create Gold",
            client
                .create_usage_plan()
                .name("Gold")
                .description("Paying customers")
                .throttle(throttle(200, 100.0))
                .quota(quota(1000, QuotaPeriodType::Month))
                .api_stages(prod_with_pets_get_throttle())
                .tags("team", "payments")
                .send()
                .await,
        )
        .and_then(|plan| plan.id)
        .expect("Gold is created");
    let silver = t
        .record(
            "create Silver",
            client.create_usage_plan().name("Silver").send().await,
        )
        .and_then(|plan| plan.id)
        .expect("Silver is created");
    let bronze = t
        .record(
            "create Bronze",
            client
                .create_usage_plan()
                .name("Bronze")
                .quota(quota(50, QuotaPeriodType::Day))
                .api_stages(stage("beta", &[]))
                .send()
                .await,
        )
        .and_then(|plan| plan.id)
        .expect("Bronze is created");
    t.record(
        "get Gold",
        client.get_usage_plan().usage_plan_id(&gold).send().await,
    );
    t.record(
        "update Gold",
        update(
            client,
            &gold,
            vec![
                patch_op("replace", "/name", Some("Platinum")),
                patch_op("replace", "/description", Some("Top tier")),
                patch_op("replace", "/throttle/rateLimit", Some("150")),
                patch_op("replace", "/throttle/burstLimit", Some("250")),
                patch_op("add", "/apiStages", Some("a1b2c3d4e5:beta")),
                patch_op("add", "/productCode", Some("prod-platinum")),
            ],
        )
        .await,
    );
    t.record(
        "update Silver",
        update(
            client,
            &silver,
            vec![
                patch_op("add", "/throttle/rateLimit", Some("5")),
                patch_op("add", "/throttle/burstLimit", Some("10")),
            ],
        )
        .await,
    );
    t.record(
        "update Bronze",
        update(
            client,
            &bronze,
            vec![
                patch_op("remove", "/apiStages", Some("a1b2c3d4e5:beta")),
                patch_op("remove", "/quota", None),
            ],
        )
        .await,
    );
    t.record(
        "remove the product code",
        update(
            client,
            &gold,
            vec![patch_op("remove", "/productCode", None)],
        )
        .await,
    );
    t.record(
        "remove the plan throttle",
        update(client, &silver, vec![patch_op("remove", "/throttle", None)]).await,
    );
    t.record("list plans", client.get_usage_plans().send().await);

    let alice = t
        .record(
            "create alice",
            client
                .create_api_key()
                .name("alice")
                .enabled(true)
                .send()
                .await,
        )
        .and_then(|key| key.id)
        .expect("alice is created");
    let bob = t
        .record(
            "create bob",
            client
                .create_api_key()
                .name("bob")
                .enabled(true)
                .send()
                .await,
        )
        .and_then(|key| key.id)
        .expect("bob is created");
    for (label, plan, key) in [
        ("alice on Gold", &gold, &alice),
        ("bob on Gold", &gold, &bob),
        ("alice on Silver", &silver, &alice),
    ] {
        t.record(label, add_key(client, plan, key).await);
    }
    t.record(
        "keys of Gold",
        client
            .get_usage_plan_keys()
            .usage_plan_id(&gold)
            .send()
            .await,
    );
    t.record(
        "bob of Gold",
        client
            .get_usage_plan_key()
            .usage_plan_id(&gold)
            .key_id(&bob)
            .send()
            .await,
    );
    t.record(
        "remove bob from Gold",
        client
            .delete_usage_plan_key()
            .usage_plan_id(&gold)
            .key_id(&bob)
            .send()
            .await,
    );
    t.record(
        "keys of Gold after",
        client
            .get_usage_plan_keys()
            .usage_plan_id(&gold)
            .send()
            .await,
    );
    t.record(
        "plans of alice",
        client.get_usage_plans().key_id(&alice).send().await,
    );
    t.record(
        "a key that does not exist",
        add_key(client, &gold, "nosuchkey").await,
    );
    t.record(
        "delete Silver",
        client
            .delete_usage_plan()
            .usage_plan_id(&silver)
            .send()
            .await,
    );
    t.record(
        "get Silver",
        client.get_usage_plan().usage_plan_id(&silver).send().await,
    );
    t
}

#[tokio::test]
async fn the_scripted_sequence_gives_the_same_answers_on_both() {
    let [sim, moto] = on_fresh_backends(script).await;

    assert_eq!(sim.steps.len(), moto.steps.len());
    for ((label, on_sim), (_, on_moto)) in sim.steps.iter().zip(&moto.steps) {
        assert_eq!(
            on_sim, on_moto,
            "step '{label}': emulator (left) and moto (right) differ"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The known differences, each asserted as a difference

#[tokio::test]
async fn moto_ignores_limit_and_returns_every_plan_in_one_page() {
    let [on_sim, on_moto] = on_fresh_backends(async |client| {
        for name in ["A", "B", "C"] {
            create_plan(client, name, vec![]).await;
        }
        let page = client.get_usage_plans().limit(2).send().await;
        let page = page.expect("list plans");
        (page.items().len(), page.position().is_some())
    })
    .await;

    assert_eq!(on_sim, (2, true));
    assert_eq!(on_moto, (3, false));
}

#[tokio::test]
async fn moto_ignores_limit_on_usage_plan_keys() {
    let [on_sim, on_moto] = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![]).await;
        for name in ["k1", "k2", "k3"] {
            let key = create_key(client, name).await;
            add_key(client, &plan, &key)
                .await
                .expect("put a key on the plan");
        }
        let page = client.get_usage_plan_keys().usage_plan_id(&plan).limit(2);
        let page = page.send().await.expect("list plan keys");
        (page.items().len(), page.position().is_some())
    })
    .await;

    assert_eq!(on_sim, (2, true));
    assert_eq!(on_moto, (3, false));
}

#[tokio::test]
async fn moto_ignores_method_throttle_patches() {
    let answers = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![prod_with_pets_get_throttle()]).await;
        let updated = update(
            client,
            &plan,
            vec![patch_op(
                "replace",
                "/apiStages/a1b2c3d4e5:prod/throttle//pets/GET/rateLimit",
                Some("15"),
            )],
        )
        .await
        .expect("both accept the patch");
        updated.api_stages()[0]
            .throttle()
            .expect("method throttles")["/pets/GET"]
            .rate_limit()
    })
    .await;
    assert_eq!(
        answers,
        [15.0, 10.0],
        "emulator applies it, moto ignores it"
    );
}

#[tokio::test]
async fn moto_returns_a_patched_quota_limit_as_a_string_so_get_usage_plans_then_fails() {
    let answers = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![]).await;
        let quota = vec![
            patch_op("add", "/quota/period", Some("MONTH")),
            patch_op("add", "/quota/limit", Some("5000")),
            patch_op("add", "/quota/offset", Some("0")),
        ];
        let updated = code_or(update(client, &plan, quota).await, drop);
        let listed = code_or(client.get_usage_plans().send().await, |plans| {
            plans.items()[0].quota().map(QuotaSettings::limit)
        });
        (updated, listed)
    })
    .await;
    assert_eq!(
        answers,
        [
            (Ok(()), Ok(Some(5000))),
            (Err("HTTP 200".to_owned()), Err("HTTP 200".to_owned()))
        ],
        "moto answers 200 with \"limit\": \"5000\", which the SDK cannot parse"
    );
}

#[tokio::test]
async fn moto_answers_500_to_a_decimal_rate_limit_patch() {
    let decimal = vec![patch_op("replace", "/throttle/rateLimit", Some("12.5"))];
    let [on_sim, on_moto] = update_a_new_plan_on_both(decimal).await;

    let on_sim = on_sim.expect("the emulator accepts 12.5");
    assert_eq!(
        on_sim.throttle().map(ThrottleSettings::rate_limit),
        Some(12.5)
    );
    assert_eq!(error_of(on_moto).0, "HTTP 500");
}

/// Creates a plan on each backend and sends it `ops`: the answers, emulator first.
async fn update_a_new_plan_on_both(
    ops: Vec<PatchOperation>,
) -> [Result<
    aws_sdk_apigateway::operation::update_usage_plan::UpdateUsagePlanOutput,
    SdkError<aws_sdk_apigateway::operation::update_usage_plan::UpdateUsagePlanError, HttpResponse>,
>; 2] {
    on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![]).await;
        update(client, &plan, ops.clone()).await
    })
    .await
}

/// Sends `ops` to a fresh plan on each backend: the emulator's error, and moto's answer.
async fn refused_by_emulator_accepted_by_moto(
    ops: Vec<PatchOperation>,
) -> ((String, String), UsagePlan) {
    let [on_sim, on_moto] = update_a_new_plan_on_both(ops).await;
    let on_moto = on_moto.expect("moto accepts it");
    let plan = UsagePlan::builder()
        .set_id(on_moto.id)
        .set_name(on_moto.name)
        .set_quota(on_moto.quota)
        .build();
    (error_of(on_sim), plan)
}

#[tokio::test]
async fn moto_accepts_a_quota_period_the_emulator_refuses() {
    let ((code, message), on_moto) =
        refused_by_emulator_accepted_by_moto(vec![patch_op("add", "/quota/period", Some("YEAR"))])
            .await;

    assert_eq!(code, "BadRequestException");
    assert!(message.contains("YEAR"), "{message}");
    assert_eq!(
        on_moto
            .quota()
            .and_then(QuotaSettings::period)
            .map(QuotaPeriodType::as_str),
        Some("YEAR")
    );
}

#[tokio::test]
async fn moto_accepts_an_unknown_patch_path_the_emulator_refuses() {
    let ((code, message), on_moto) =
        refused_by_emulator_accepted_by_moto(vec![patch_op("replace", "/colour", Some("red"))])
            .await;

    assert_eq!(code, "BadRequestException");
    assert!(
        message.starts_with("Invalid patch path '/colour' specified for op 'replace'"),
        "{message}"
    );
    assert_eq!(
        on_moto.name(),
        Some("Gold"),
        "moto changed nothing and said nothing"
    );
}

#[tokio::test]
async fn moto_accepts_an_api_stage_that_does_not_exist() {
    let [on_sim, on_moto] = on_fresh_backends(async |client| {
        let unknown = stage("nosuchstage", &[]);
        client
            .create_usage_plan()
            .name("Gold")
            .api_stages(unknown)
            .send()
            .await
    })
    .await;
    let on_moto = on_moto.expect("moto accepts any stage");

    assert_eq!(
        error_of(on_sim),
        (
            "NotFoundException".to_owned(),
            "API Stage not found: a1b2c3d4e5:nosuchstage".to_owned()
        )
    );
    assert_eq!(on_moto.api_stages()[0].stage(), Some("nosuchstage"));
}

#[tokio::test]
async fn moto_accepts_an_empty_plan_name() {
    let [on_sim, on_moto] =
        on_fresh_backends(async |client| client.create_usage_plan().name("").send().await).await;
    let on_moto = on_moto.expect("moto accepts an empty name");

    assert_eq!(error_of(on_sim).0, "BadRequestException");
    assert_eq!(on_moto.name(), Some(""));
}

#[tokio::test]
async fn moto_does_not_implement_get_usage_or_update_usage() {
    let [(sim_get, sim_set), (moto_get, moto_set)] = on_fresh_backends(async |client| {
        let plan = client
            .create_usage_plan()
            .name("Gold")
            .quota(quota(1000, QuotaPeriodType::Month))
            .send()
            .await
            .expect("create a plan")
            .id
            .expect("id");
        let key = create_key(client, "alice").await;
        add_key(client, &plan, &key)
            .await
            .expect("put the key on the plan");
        let get = client
            .get_usage()
            .usage_plan_id(&plan)
            .key_id(&key)
            .start_date("2024-06-01")
            .end_date("2024-06-02")
            .send()
            .await;
        let set = client
            .update_usage()
            .usage_plan_id(&plan)
            .key_id(&key)
            .patch_operations(patch_op("replace", "/remaining", Some("5000")))
            .send()
            .await;
        (get, code_or(set, drop))
    })
    .await;

    assert_eq!(
        sim_get
            .expect("the emulator answers GetUsage")
            .items()
            .map(HashMap::len),
        Some(1)
    );
    assert_eq!(sim_set, Ok(()), "the emulator answers UpdateUsage");
    assert_eq!(error_of(moto_get).0, "HTTP 404");
    assert_eq!(moto_set, Err("HTTP 404".to_owned()));
}

#[tokio::test]
async fn moto_never_throttles() {
    let backends = Backends::start_with(Some(Quotas::default())).await;
    let [on_sim, on_moto] = backends
        .on_both(async |client| {
            let plan = create_plan(client, "Gold", vec![]).await;
            let rename = |name: &'static str| {
                update(
                    client,
                    &plan,
                    vec![patch_op("replace", "/name", Some(name))],
                )
            };
            rename("Gold 1")
                .await
                .expect("the first update is within the quota");
            code_or(rename("Gold 2").await, drop)
        })
        .await;

    assert_eq!(
        on_sim,
        Err("TooManyRequestsException".to_owned()),
        "UpdateUsagePlan: 1 request every 20 seconds"
    );
    assert_eq!(on_moto, Ok(()));
}

#[tokio::test]
async fn moto_keeps_api_stages_in_insertion_order() {
    let orders = on_fresh_backends(async |client| {
        let plan = client
            .create_usage_plan()
            .name("Gold")
            .api_stages(stage("prod", &[]))
            .api_stages(stage("beta", &[]))
            .send()
            .await
            .expect("create a plan with two stages");
        let read = client
            .get_usage_plan()
            .usage_plan_id(plan.id().expect("id"))
            .send()
            .await
            .expect("read the plan");
        read.api_stages()
            .iter()
            .filter_map(|s| s.stage().map(str::to_owned))
            .collect::<Vec<String>>()
    })
    .await;
    assert_eq!(
        orders,
        [["beta", "prod"], ["prod", "beta"]],
        "AWS sorts them, moto does not"
    );
}

/// Puts key `alice` on a plan with stage prod, then on a second plan: the same plan again when
/// `repeat_same_plan`, otherwise another plan with stage prod. Returns each backend's answer
/// to the second association, emulator first.
async fn second_plan_for_one_key(repeat_same_plan: bool) -> [Result<(), String>; 2] {
    on_fresh_backends(async |client| {
        let first = create_plan(client, "Gold", vec![stage("prod", &[])]).await;
        let second = if repeat_same_plan {
            first.clone()
        } else {
            create_plan(client, "Silver", vec![stage("prod", &[])]).await
        };
        let key = create_key(client, "alice").await;
        // Only the second association's answer is compared.
        let _ = add_key(client, &first, &key).await;
        code_or(add_key(client, &second, &key).await, drop)
    })
    .await
}

#[tokio::test]
async fn moto_accepts_the_same_key_twice_on_a_plan() {
    let answers = second_plan_for_one_key(true).await;
    assert_eq!(
        answers,
        [Err("ConflictException".to_owned()), Ok(())],
        "emulator (first) refuses, moto (second) accepts"
    );
}

#[tokio::test]
async fn moto_lets_one_key_into_two_plans_that_share_a_stage() {
    let answers = second_plan_for_one_key(false).await;
    assert_eq!(
        answers,
        [Err("ConflictException".to_owned()), Ok(())],
        "emulator (first) refuses, moto (second) accepts"
    );
}

#[tokio::test]
async fn moto_deletes_a_plan_with_api_stages_attached() {
    let answers = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![stage("prod", &[])]).await;
        let deleted = client.delete_usage_plan().usage_plan_id(&plan).send().await;
        code_or(deleted, drop)
    })
    .await;
    assert_eq!(
        answers,
        [Err("BadRequestException".to_owned()), Ok(())],
        "emulator (first) refuses, moto (second) deletes"
    );
}

#[tokio::test]
async fn moto_answers_500_when_removing_an_api_stage_the_plan_lacks() {
    let answers = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![stage("prod", &[])]).await;
        let beta = vec![patch_op("remove", "/apiStages", Some("a1b2c3d4e5:beta"))];
        error_of(update(client, &plan, beta).await)
    })
    .await;
    assert_eq!(
        answers[0],
        (
            "BadRequestException".to_owned(),
            "Invalid API Stage specified".to_owned()
        )
    );
    assert_eq!(answers[1].0, "HTTP 500");
}

#[tokio::test]
async fn moto_answers_500_when_removing_an_api_stage_that_has_method_throttles() {
    let answers = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![prod_with_pets_get_throttle()]).await;
        let prod = vec![patch_op("remove", "/apiStages", Some("a1b2c3d4e5:prod"))];
        let removed = update(client, &plan, prod).await;
        code_or(removed, |plan| plan.api_stages().len())
    })
    .await;
    assert_eq!(
        answers,
        [Ok(0), Err("HTTP 500".to_owned())],
        "the emulator removes the stage, moto fails"
    );
}

#[tokio::test]
async fn moto_removes_a_plan_throttle_that_method_throttles_depend_on() {
    let answers = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![prod_with_pets_get_throttle()]).await;
        let removed = update(client, &plan, vec![patch_op("remove", "/throttle", None)]).await;
        code_or(removed, |plan| plan.throttle().is_none())
    })
    .await;
    assert_eq!(
        answers,
        [Err("BadRequestException".to_owned()), Ok(true)],
        "the emulator keeps method throttles backed by a plan throttle, moto does not"
    );
}

#[tokio::test]
async fn moto_does_not_tag_usage_plans() {
    let answers = on_fresh_backends(async |client| {
        let plan = create_plan(client, "Gold", vec![]).await;
        let arn = format!("arn:aws:apigateway:us-east-1::/usageplans/{plan}");
        let tagged = client
            .tag_resource()
            .resource_arn(&arn)
            .tags("env", "test")
            .send()
            .await;
        let read = client.get_tags().resource_arn(&arn).send().await;
        (
            code_or(tagged, drop),
            code_or(read, |tags| tags.tags().and_then(|t| t.get("env").cloned())),
        )
    })
    .await;
    assert_eq!(
        answers,
        [
            (Ok(()), Ok(Some("test".to_owned()))),
            (Err("HTTP 404".to_owned()), Err("HTTP 404".to_owned()))
        ],
        "the emulator tags the plan, moto has no route for it"
    );
}

/// The API Reference's UsagePlanKey has `value` (Terraform's `aws_api_gateway_usage_plan_key`
/// reads it from there) and moto answers it: the emulator must too.
#[tokio::test]
async fn usage_plan_keys_carry_the_key_value() {
    let backends = Backends::start().await;
    for (backend, client) in backends.both() {
        let plan = create_plan(client, "Gold", vec![]).await;
        let key = client
            .create_api_key()
            .name("alice")
            .value("alice-key-value-0123456789")
            .enabled(true)
            .send()
            .await
            .expect("create a key");
        let key_id = key.id().expect("id");
        let created = add_key(client, &plan, key_id)
            .await
            .expect("put the key on the plan");
        let read = client
            .get_usage_plan_key()
            .usage_plan_id(&plan)
            .key_id(key_id)
            .send()
            .await
            .expect("read the plan key");
        let listed = client
            .get_usage_plan_keys()
            .usage_plan_id(&plan)
            .send()
            .await
            .expect("list the plan keys");

        let values = [created.value(), read.value(), listed.items()[0].value()];
        assert_eq!(
            values,
            [Some("alice-key-value-0123456789"); 3],
            "{backend}: CreateUsagePlanKey, GetUsagePlanKey, GetUsagePlanKeys"
        );
    }
}
