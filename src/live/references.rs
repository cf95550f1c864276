//! The reads of the reference checks: GetStages, GetResources, GetUsagePlanKeys and
//! GetUsagePlans `keyId`, as [`references::reads`] asks for them; a 404 of a REST API is an
//! answer (it does not exist), a 403 leaves the checks it serves skipped.

use std::future::Future;

use super::client::LiveClient;
use super::error::{AwsError, AwsErrorKind};
use crate::references::{self, Account, Answer, Answers, DeniedRead, Findings};

impl LiveClient {
    /// Reads what the checks of `account`'s references need, the fewest reads, and checks
    /// them: located errors for what AWS would refuse, warnings, and one line per denied
    /// read.
    pub async fn check_references(&self, account: &Account<'_>) -> Result<Findings, AwsError> {
        let reads = references::reads(account);
        let mut answers = Answers::default();
        let mut denied = Vec::new();
        for api in &reads.stages {
            let answer = answered(
                self.stages(api),
                || DeniedRead::Stages(api.clone()),
                &mut denied,
            );
            answers.stages.insert(api.clone(), answer.await?);
        }
        let found = |api: &String| matches!(answers.stages.get(api), Some(Answer::Found(_)));
        let apis: Vec<&String> = reads.resources.iter().filter(|api| found(api)).collect();
        for api in apis {
            let read = self.resources(api);
            let answer = answered(read, || DeniedRead::Resources(api.clone()), &mut denied);
            answers.resources.insert(api.clone(), answer.await?);
        }
        for plan in &reads.plan_keys {
            match self.list_plan_keys(vec![plan.clone()]).await {
                Ok(keys) => answers.plan_keys.extend(keys),
                Err(error) if error.kind == AwsErrorKind::AccessDenied => {
                    denied.push(DeniedRead::PlanKeys(plan.clone()));
                }
                Err(error) => return Err(error),
            }
        }
        for key in &reads.key_plans {
            match self.plans_with_key(key).await {
                Ok(plans) => {
                    answers
                        .key_plans
                        .insert(key.clone(), plans.into_iter().collect());
                }
                Err(error) if error.kind == AwsErrorKind::AccessDenied => {
                    denied.push(DeniedRead::KeyPlans(key.clone()));
                }
                Err(error) => return Err(error),
            }
        }
        let mut findings = references::check(account, &answers, self.region());
        findings.read_keys = answers.plan_keys;
        findings.denied = denied
            .iter()
            .map(|read| references::denied(account, read, self.region()))
            .collect();
        Ok(findings)
    }
}

/// A read of a REST API as an answer: what it has, missing (404) or denied (403, noted in
/// `denied`); any other failure is the run's.
async fn answered<T>(
    read: impl Future<Output = Result<T, AwsError>>,
    what: impl FnOnce() -> DeniedRead,
    denied: &mut Vec<DeniedRead>,
) -> Result<Answer<T>, AwsError> {
    match read.await {
        Ok(found) => Ok(Answer::Found(found)),
        Err(error) if error.kind == AwsErrorKind::NotFound => Ok(Answer::Missing),
        Err(error) if error.kind == AwsErrorKind::AccessDenied => {
            denied.push(what());
            Ok(Answer::Denied)
        }
        Err(error) => Err(error),
    }
}
