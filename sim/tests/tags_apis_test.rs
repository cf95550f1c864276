//! Tags on usage plan ARNs, and REST APIs with their stages, through the real SDK.

mod common;

use aws_sdk_apigateway::types::{ApiStage, Op, PatchOperation};
use common::{assert_bad_request, failure, get_gold, start};

const ARN: &str = "arn:aws:apigateway:us-east-1::/usageplans/ywbqww";

#[tokio::test]
async fn tags_are_set_read_and_removed() {
    let (_sim, client) = start().await;
    let tags = client.get_tags().resource_arn(ARN).send().await.unwrap();
    assert_eq!(tags.tags().unwrap()["team"], "payments");

    client
        .tag_resource()
        .resource_arn(ARN)
        .tags("env", "prod")
        .tags("team", "billing")
        .send()
        .await
        .expect("TagResource");
    let tags = client.get_tags().resource_arn(ARN).send().await.unwrap();
    assert_eq!(tags.tags().unwrap().len(), 2);
    assert_eq!(tags.tags().unwrap()["team"], "billing");

    client
        .untag_resource()
        .resource_arn(ARN)
        .tag_keys("team")
        .tag_keys("absent")
        .send()
        .await
        .expect("UntagResource");
    let plan = get_gold(&client).await;
    assert_eq!(
        plan.tags().unwrap().keys().collect::<Vec<_>>(),
        ["env"],
        "GetUsagePlan shows the tags too"
    );
}

#[tokio::test]
async fn tag_rules() {
    let (_sim, client) = start().await;
    let mut fifty = client.tag_resource().resource_arn(ARN);
    for i in 0..49 {
        fifty = fifty.tags(format!("k{i}"), "v");
    }
    fifty.send().await.expect("50 tags with the seeded one");
    let too_many = failure(
        client
            .tag_resource()
            .resource_arn(ARN)
            .tags("one-more", "v")
            .send()
            .await,
    );
    assert_bad_request(
        &too_many,
        "Too many tags: a resource can have at most 50 tags, got 51",
    );
    client
        .tag_resource()
        .resource_arn(ARN)
        .tags("team", "replaced")
        .send()
        .await
        .expect("replacing a tag adds none");

    let reserved = failure(
        client
            .tag_resource()
            .resource_arn(ARN)
            .tags("aws:cloudformation:stack-name", "x")
            .send()
            .await,
    );
    assert_bad_request(&reserved, "Invalid tag key 'aws:cloudformation:stack-name': keys starting with 'aws:' are reserved for AWS");
    let reserved = failure(
        client
            .untag_resource()
            .resource_arn(ARN)
            .tag_keys("aws:createdBy")
            .send()
            .await,
    );
    assert_eq!(reserved.status, 400);

    let unknown = failure(
        client
            .get_tags()
            .resource_arn("arn:aws:apigateway:us-east-1::/usageplans/nope")
            .send()
            .await,
    );
    assert_eq!(
        (unknown.status, unknown.message.as_str()),
        (404, "Invalid Usage Plan ID specified")
    );
    let other = failure(
        client
            .get_tags()
            .resource_arn("arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5")
            .send()
            .await,
    );
    assert_eq!(other.status, 400);
    let region = failure(
        client
            .get_tags()
            .resource_arn("arn:aws:apigateway:eu-west-1::/usageplans/ywbqww")
            .send()
            .await,
    );
    assert_eq!(region.status, 400);
}

#[tokio::test]
async fn rest_apis_and_stages() {
    let (_sim, client) = start().await;
    let apis = client.get_rest_apis().send().await.unwrap();
    let names: Vec<_> = apis
        .items()
        .iter()
        .map(|a| (a.id().unwrap(), a.name().unwrap()))
        .collect();
    assert_eq!(names, [("a1b2c3d4e5", "pets"), ("zz9zz9zz9z", "shop")]);
    let one = client
        .get_rest_api()
        .rest_api_id("zz9zz9zz9z")
        .send()
        .await
        .unwrap();
    assert_eq!(one.name(), Some("shop"));
    let missing = failure(client.get_rest_api().rest_api_id("nope").send().await);
    assert_eq!(
        (missing.status, missing.message.as_str()),
        (404, "Invalid API identifier specified nope")
    );

    let stages = client
        .get_stages()
        .rest_api_id("a1b2c3d4e5")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = stages
        .item()
        .iter()
        .map(|s| s.stage_name().unwrap())
        .collect();
    assert_eq!(names, ["beta", "prod"]);
    assert_eq!(
        failure(client.get_stages().rest_api_id("nope").send().await).status,
        404
    );

    // GetResources, paged: the root, every path between, and each resource's methods.
    let mut paths = Vec::new();
    let mut position = None;
    loop {
        let page = client
            .get_resources()
            .rest_api_id("a1b2c3d4e5")
            .limit(1)
            .embed("methods")
            .set_position(position)
            .send()
            .await
            .unwrap();
        for resource in page.items() {
            let mut methods: Vec<String> = resource
                .resource_methods()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            methods.sort();
            let method_named = resource
                .resource_methods()
                .and_then(|m| m.get("GET"))
                .and_then(|m| m.http_method().map(str::to_string));
            paths.push((
                resource.path().unwrap().to_string(),
                resource.path_part().map(str::to_string),
                resource.parent_id().is_some(),
                methods.join(","),
                method_named,
            ));
        }
        position = page.position().map(str::to_string);
        if position.is_none() {
            break;
        }
    }
    let get = Some("GET".to_string());
    assert_eq!(
        paths,
        [
            ("/".into(), None, false, "".into(), None),
            (
                "/pets".into(),
                Some("pets".into()),
                true,
                "GET,POST".into(),
                get.clone()
            ),
            (
                "/pets/{petId}".into(),
                Some("{petId}".into()),
                true,
                "DELETE,GET".into(),
                get
            ),
        ]
    );
    assert_eq!(
        failure(client.get_resources().rest_api_id("nope").send().await).status,
        404
    );

    let created = client.create_rest_api().name("books").send().await.unwrap();
    let id = created.id().unwrap();
    let stage = client
        .create_stage()
        .rest_api_id(id)
        .stage_name("live")
        .deployment_id("d1")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.stage_name(), Some("live"));
    let twice = failure(
        client
            .create_stage()
            .rest_api_id(id)
            .stage_name("live")
            .deployment_id("d1")
            .send()
            .await,
    );
    assert_eq!(
        (twice.status, twice.message.as_str()),
        (409, "Stage already exists")
    );
    let bad = failure(
        client
            .create_stage()
            .rest_api_id(id)
            .stage_name("no spaces")
            .deployment_id("d1")
            .send()
            .await,
    );
    assert_eq!(bad.status, 400);
    assert_bad_request(
        &failure(client.create_rest_api().name(" ").send().await),
        "Invalid REST API name specified: a name is required",
    );

    // A created API and stage can be put on a plan.
    client
        .update_usage_plan()
        .usage_plan_id("ywbqww")
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Add)
                .path("/apiStages")
                .value(format!("{id}:live"))
                .build(),
        )
        .send()
        .await
        .expect("the new stage exists");
    let plan = client
        .create_usage_plan()
        .name("Books")
        .api_stages(ApiStage::builder().api_id(id).stage("live").build())
        .send()
        .await;
    assert!(plan.is_ok());
}
