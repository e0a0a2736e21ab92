//! `patlint audit` of an AWS account end to end through the binary: against moto's
//! server (a real IAM implementation, started here) for what a listing finds, and against
//! an awsquery-XML server (wiremock) for what moto does not do: `ListUsers` pages (moto
//! answers every user in one page, whatever `MaxItems`), `ListServiceSpecificCredentials`
//! (moto answers 500) and keys a listing does not have (moto answers any key id, even a
//! deleted one, as some identity). Element names are those of botocore's IAM service
//! model (`botocore/data/iam/2010-05-08/service-2.json`).
//!
//! The listing makes only read-only calls (sts:GetCallerIdentity, iam:ListUsers,
//! iam:ListAccessKeys, iam:GetAccessKeyLastUsed, iam:ListServiceSpecificCredentials):
//! moto keeps no log of the calls to check that by, so the wiremock tests answer only
//! those actions (anything else would get wiremock's 404 and fail the listing).

use crate::common;

use common::aws::{
    KEY_ID, SECRET_KEY, admin, answer, answer_instead, new_key, start_moto, xml, xml_error,
};

use wiremock::matchers::body_string_contains;
use wiremock::{Mock, MockServer};

async fn user_with_key(iam: &aws_sdk_iam::Client, user: &str) -> (String, String) {
    iam.create_user().user_name(user).send().await.unwrap();
    new_key(iam, user).await
}

/// The policy: the inventory `aws-prod` (profile `audit`), and `tokens` after it.
fn audit_policy(defaults: &str, tokens: &str) -> String {
    format!(
        "version = 1\n{defaults}\n[[inventory]]\nname = \"aws-prod\"\nhost = \"aws-iam\"\nprofile = \"audit\"\n{tokens}"
    )
}

/// A declared key, read from `{ENV}_ID` and `{ENV}_SECRET`.
fn declared(name: &str, env: &str) -> String {
    format!(
        "\n[[token]]\nname = \"{name}\"\nhost = \"aws-iam\"\naccess_key_id = {{ env = \"{env}_ID\" }}\nsecret = {{ env = \"{env}_SECRET\" }}\n"
    )
}

/// One run of `patlint audit --format json`.
struct Audit {
    exit: i32,
    json: serde_json::Value,
}

impl Audit {
    fn token(&self, name: &str) -> &serde_json::Value {
        self.tokens()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no token `{name}` in {:#}", self.json))
    }

    fn tokens(&self) -> &Vec<serde_json::Value> {
        self.json["tokens"].as_array().unwrap()
    }

    /// Whether any token is listed with this id.
    fn lists(&self, id: &str) -> bool {
        self.tokens().iter().any(|t| t["listed"]["id"] == id)
    }
}

fn rules(token: &serde_json::Value) -> Vec<String> {
    token["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn finding<'a>(token: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    token["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no `{rule}` on {token:#}"))
}

/// Runs `patlint audit --format json` against `endpoint`, with the `audit` profile's
/// credentials in a shared credentials file and each declared key in `keys` as
/// `(ENV, id, secret)`; checks that no part of any secret key (nor the auditor's key id)
/// appears anywhere in the output.
async fn audit(
    endpoint: &str,
    auditor: (&str, &str),
    keys: &[(&str, &str, &str)],
    policy: String,
) -> Audit {
    let home = tempfile::tempdir().unwrap();
    let credentials = home.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[audit]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            auditor.0, auditor.1
        ),
    )
    .unwrap();
    let config = home.path().join("config");
    std::fs::write(&config, "[profile audit]\nregion = us-east-1\n").unwrap();
    let mut env: Vec<(String, String)> = [
        ("HOME", home.path().display().to_string()),
        ("AWS_CONFIG_FILE", config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (var, id, secret) in keys {
        env.push((format!("{var}_ID"), (*id).to_owned()));
        env.push((format!("{var}_SECRET"), (*secret).to_owned()));
    }
    let args = [
        "audit",
        "--format",
        "json",
        "--retries",
        "0",
        "--timeout",
        "10",
    ];
    let (out, _) = common::run_patlint(policy, env, &args).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let secrets = std::iter::once(auditor.1).chain(keys.iter().map(|(_, _, secret)| *secret));
    for secret in secrets {
        common::assert_no_secret(secret, "stdout", &stdout);
        common::assert_no_secret(secret, "stderr", &stderr);
    }
    // Key ids are no secrets (and moto's share their first characters), but the
    // auditor's is scrubbed like one: it signs the listing.
    for output in [&stdout, &stderr] {
        assert!(
            !output.contains(auditor.0),
            "the auditor's key id in:\n{output}"
        );
    }
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    Audit {
        exit: out.status.code().unwrap(),
        json,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_account_listing_matches_and_reports_keys() {
    let Some(moto) = start_moto() else { return };
    let iam = admin(&moto.url).await;
    let auditor = user_with_key(&iam, "auditor").await;
    let (jira_id, jira_secret) = user_with_key(&iam, "jira-codecommit").await;
    let (stray_id, stray_secret) = user_with_key(&iam, "departed-admin").await;
    // An inactive key of the same user: it authenticates nothing, so it is not listed.
    let (inactive_id, _) = new_key(&iam, "departed-admin").await;
    iam.update_access_key()
        .user_name("departed-admin")
        .access_key_id(&inactive_id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    // More users than one page of 100, each with a key: every one is listed.
    for n in 0..101 {
        user_with_key(&iam, &format!("bulk-{n:03}")).await;
    }
    let keys = [("JIRA", jira_id.as_str(), jira_secret.as_str())];
    let policy = |defaults: &str| audit_policy(defaults, &declared("jira-codecommit", "JIRA"));

    let run = audit(&moto.url, (&auditor.0, &auditor.1), &keys, policy("")).await;
    // Undeclared keys only warn by default.
    assert_eq!(run.exit, 0, "{:#}", run.json);

    // The declared key: found in the listing (by the id its own check read, which is
    // scrubbed from the listing as it is a secret of the policy's), never `token-not-found`.
    let jira = run.token("jira-codecommit");
    assert!(
        !rules(jira).contains(&"token-not-found".to_owned()),
        "{jira:#}"
    );
    assert_eq!(jira["listed"]["declared"], true, "{jira:#}");
    assert_eq!(jira["listed"]["owner"], "jira-codecommit", "{jira:#}");
    assert_eq!(jira["listed"]["source"], "iam:ListAccessKeys", "{jira:#}");

    // The undeclared key: a token of its own, named INVENTORY.KEY-ID, with a warning.
    let stray = run.token(&format!("aws-prod.{stray_id}"));
    let undeclared = finding(stray, "undeclared-token");
    assert_eq!(undeclared["severity"], "warning", "{stray:#}");
    assert!(
        undeclared["message"]
            .as_str()
            .unwrap()
            .contains("access key of `departed-admin`"),
        "{undeclared:#}"
    );
    assert_eq!(stray["listed"]["declared"], false, "{stray:#}");
    let facts = &stray["facts"];
    assert_eq!(facts["kind"], "access-key", "{facts:#}");
    assert_eq!(
        facts["identity"],
        "arn:aws:iam::123456789012:user/departed-admin"
    );
    assert!(facts["created_at"].is_string(), "{facts:#}");
    assert_eq!(facts["expires_at"], serde_json::Value::Null, "{facts:#}");
    // Never used: GetAccessKeyLastUsed has no `LastUsedDate` for it.
    assert_eq!(facts["last_used_at"], serde_json::Value::Null, "{facts:#}");
    // Its user's other key is inactive: no rotation left half done.
    assert!(
        !rules(stray).contains(&"key-rotation-overlap".to_owned()),
        "{stray:#}"
    );

    // The inactive key is nowhere.
    assert!(!run.lists(&inactive_id), "{:#}", run.json);
    assert!(!run.json.to_string().contains(&inactive_id));

    // Every page: all 101 bulk users' keys are listed (moto answers them in one page, so
    // the pages themselves are tested against wiremock below).
    let bulk = run
        .tokens()
        .iter()
        .filter(|t| {
            t["listed"]["owner"]
                .as_str()
                .is_some_and(|o| o.starts_with("bulk-"))
        })
        .count();
    assert_eq!(bulk, 101);

    // The auditor's own key is listed too (nobody declared it), as `self`: its id is the
    // inventory's secret, and its last use is the listing's own calls, so no evidence.
    let own = run.token("aws-prod.self");
    assert_eq!(own["listed"]["owner"], "auditor", "{:#}", run.json);
    assert!(own["facts"].get("last_used_at").is_none(), "{own:#}");

    // moto has no ListServiceSpecificCredentials (it answers 500): the Git credentials
    // are what the listing cannot see, said once, and the keys are still complete.
    let inventory = run.token("aws-prod");
    let incomplete = finding(inventory, "inventory-incomplete");
    assert!(
        incomplete["message"]
            .as_str()
            .unwrap()
            .contains("CodeCommit HTTPS Git credentials"),
        "{incomplete:#}"
    );
    assert_eq!(rules(inventory), ["inventory-incomplete"], "{inventory:#}");

    // `undeclared = "fail"`: the same key is an error, and the run fails.
    let run = audit(
        &moto.url,
        (&auditor.0, &auditor.1),
        &keys,
        policy("\n[defaults]\nundeclared = \"fail\"\n"),
    )
    .await;
    assert_eq!(run.exit, 1, "{:#}", run.json);
    let stray = run.token(&format!("aws-prod.{stray_id}"));
    assert_eq!(finding(stray, "undeclared-token")["severity"], "error");
    assert!(!rules(run.token("jira-codecommit")).contains(&"undeclared-token".to_owned()));

    // Declared, the departed admin's key is no longer undeclared.
    let both = [
        ("JIRA", jira_id.as_str(), jira_secret.as_str()),
        ("STRAY", stray_id.as_str(), stray_secret.as_str()),
    ];
    let policy = audit_policy(
        "",
        &(declared("jira-codecommit", "JIRA") + &declared("admin-key", "STRAY")),
    );
    let run = audit(&moto.url, (&auditor.0, &auditor.1), &both, policy).await;
    assert!(
        run.tokens()
            .iter()
            .all(|t| t["name"] != format!("aws-prod.{stray_id}")),
        "{:#}",
        run.json
    );
    assert_eq!(run.token("admin-key")["listed"]["declared"], true);
}

/// A declared key moto no longer has: its own check cannot observe it (moto answers
/// GetCallerIdentity for an unknown key with an identity of its own, whose user has no
/// keys), so the audit does not claim it is `token-not-found`: the check's own error
/// says what went wrong.
#[tokio::test(flavor = "multi_thread")]
async fn moto_deleted_declared_key_is_its_checks_error_not_a_listing_claim() {
    let Some(moto) = start_moto() else { return };
    let iam = admin(&moto.url).await;
    let auditor = user_with_key(&iam, "auditor").await;
    let (gone_id, gone_secret) = user_with_key(&iam, "jira-codecommit").await;
    iam.delete_access_key()
        .user_name("jira-codecommit")
        .access_key_id(&gone_id)
        .send()
        .await
        .unwrap();
    let run = audit(
        &moto.url,
        (&auditor.0, &auditor.1),
        &[("JIRA", &gone_id, &gone_secret)],
        audit_policy("", &declared("jira-codecommit", "JIRA")),
    )
    .await;
    let jira = run.token("jira-codecommit");
    assert!(
        !rules(jira).contains(&"token-not-found".to_owned()),
        "{jira:#}"
    );
    assert_eq!(jira["status"], "error", "{jira:#}");
    assert_eq!(rules(jira), ["host-error"], "{jira:#}");
    assert!(!run.lists(&gone_id));
}

/// The wiremock account: user Bob (the declared key, `AKIAIOSFODNN7EXAMPLE`) and, on a
/// second `ListUsers` page, Alice with an undeclared key and a Git credential.
async fn paged_account() -> MockServer {
    account_with_root_keys(0).await
}

/// [`paged_account`], with `present` for `AccountAccessKeysPresent`.
async fn account_with_root_keys(present: u32) -> MockServer {
    let server = MockServer::start().await;
    root_keys(&server, present).await;
    answer(
        &server,
        "GetCallerIdentity",
        xml(
            "GetCallerIdentity",
            "<Arn>arn:aws:iam::123456789012:user/Bob</Arn><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>123456789012</Account>",
        ),
    )
    .await;
    // Page 2, asked for with the first page's marker.
    Mock::given(body_string_contains("Action=ListUsers&"))
        .and(body_string_contains("Marker=page-2"))
        .respond_with(xml(
            "ListUsers",
            &format!(
                "<Users>{}</Users><IsTruncated>false</IsTruncated>",
                user("Alice", "AIDAALICEEXAMPLE0001")
            ),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "ListUsers",
        xml(
            "ListUsers",
            &format!(
                "<Users>{}</Users><IsTruncated>true</IsTruncated><Marker>page-2</Marker>",
                user("Bob", "AIDACKCEVSQ6C2EXAMPLE")
            ),
        ),
    )
    .await;
    keys_of(&server, "Bob", &[(KEY_ID, "Active")]).await;
    keys_of(
        &server,
        "Alice",
        &[
            ("AKIAALICEKEYEXAMPLE1", "Active"),
            ("AKIAALICEKEYEXAMPLE2", "Inactive"),
        ],
    )
    .await;
    answer(
        &server,
        "GetAccessKeyLastUsed",
        xml(
            "GetAccessKeyLastUsed",
            "<AccessKeyLastUsed><Region>us-east-1</Region><LastUsedDate>2026-11-20T10:45:00Z</LastUsedDate><ServiceName>codecommit</ServiceName></AccessKeyLastUsed><UserName>Bob</UserName>",
        ),
    )
    .await;
    Mock::given(body_string_contains("Action=ListServiceSpecificCredentials&"))
        .and(body_string_contains("UserName=Alice"))
        .respond_with(xml(
            "ListServiceSpecificCredentials",
            "<ServiceSpecificCredentials><member><UserName>Alice</UserName><Status>Active</Status><ServiceUserName>alice-at-123456789012</ServiceUserName><CreateDate>2026-01-10T09:00:00Z</CreateDate><ServiceSpecificCredentialId>ACCAALICEGITEXAMPLE1</ServiceSpecificCredentialId><ServiceName>codecommit.amazonaws.com</ServiceName></member><member><UserName>Alice</UserName><Status>Inactive</Status><ServiceUserName>alice+1-at-123456789012</ServiceUserName><CreateDate>2025-01-10T09:00:00Z</CreateDate><ServiceSpecificCredentialId>ACCAALICEGITEXAMPLE2</ServiceSpecificCredentialId><ServiceName>codecommit.amazonaws.com</ServiceName></member></ServiceSpecificCredentials><IsTruncated>false</IsTruncated>",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "ListServiceSpecificCredentials",
        xml(
            "ListServiceSpecificCredentials",
            "<ServiceSpecificCredentials/><IsTruncated>false</IsTruncated>",
        ),
    )
    .await;
    server
}

/// The audit of the XML account, with Bob's key (the AWS example key) declared by
/// `tokens`.
async fn audit_bob(server: &MockServer, tokens: &str) -> Audit {
    audit(
        &server.uri(),
        AUDITOR,
        &[("BOB", KEY_ID, SECRET_KEY)],
        audit_policy("", tokens),
    )
    .await
}

/// `GetAccountSummary`: whether the root user has access keys, which no listing shows.
async fn root_keys(server: &MockServer, present: u32) {
    answer(
        server,
        "GetAccountSummary",
        xml(
            "GetAccountSummary",
            &format!("<SummaryMap><entry><key>Users</key><value>2</value></entry><entry><key>AccountAccessKeysPresent</key><value>{present}</value></entry></SummaryMap>"),
        ),
    )
    .await;
}

fn user(name: &str, id: &str) -> String {
    format!(
        "<member><Path>/</Path><UserName>{name}</UserName><UserId>{id}</UserId><Arn>arn:aws:iam::123456789012:user/{name}</Arn><CreateDate>2025-03-01T12:00:00Z</CreateDate></member>"
    )
}

async fn keys_of(server: &MockServer, user: &str, keys: &[(&str, &str)]) {
    let members: String = keys
        .iter()
        .map(|(id, status)| {
            format!(
                "<member><UserName>{user}</UserName><AccessKeyId>{id}</AccessKeyId><Status>{status}</Status><CreateDate>2026-10-01T18:17:34Z</CreateDate></member>"
            )
        })
        .collect();
    Mock::given(body_string_contains("Action=ListAccessKeys&"))
        .and(body_string_contains(format!("UserName={user}").as_str()))
        .respond_with(xml(
            "ListAccessKeys",
            &format!(
                "<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>"
            ),
        ))
        .mount(server)
        .await;
}

/// The auditor's key pair in the wiremock tests (any will do: wiremock checks no
/// signature).
const AUDITOR: (&str, &str) = (
    "AKIAAUDITOREXAMPLE01",
    "auditor/secret/K7MDENG/bPxRfiCYEXAMPLE",
);

#[tokio::test(flavor = "multi_thread")]
async fn listing_reads_every_page_and_git_credentials() {
    let server = paged_account().await;
    let run = audit_bob(&server, &declared("bob-key", "BOB")).await;
    assert_eq!(run.exit, 0, "{:#}", run.json);
    assert_eq!(run.token("bob-key")["listed"]["declared"], true);
    // Alice is on the second page of users.
    let alice = run.token("aws-prod.AKIAALICEKEYEXAMPLE1");
    assert_eq!(rules(alice), ["undeclared-token"], "{alice:#}");
    assert_eq!(alice["facts"]["last_used_at"], "2026-11-20T10:45:00Z");
    assert!(!run.lists("AKIAALICEKEYEXAMPLE2"), "{:#}", run.json);
    // Her active Git credential is listed by its id, named by its Git user name.
    let git = run.token("aws-prod.ACCAALICEGITEXAMPLE1");
    assert_eq!(git["listed"]["name"], "alice-at-123456789012", "{git:#}");
    assert_eq!(
        git["listed"]["source"],
        "iam:ListServiceSpecificCredentials"
    );
    assert_eq!(git["facts"]["created_at"], "2026-01-10T09:00:00Z");
    assert_eq!(git["facts"]["expires_at"], serde_json::Value::Null);
    assert!(!run.lists("ACCAALICEGITEXAMPLE2"), "{:#}", run.json);
    // Every kind the listing is complete for was listed: nothing is incomplete.
    assert!(
        run.tokens().iter().all(|t| t["name"] != "aws-prod"),
        "{:#}",
        run.json
    );

    // The root user's keys are no user's: IAM only says they exist, and the audit says so.
    let server = account_with_root_keys(1).await;
    let run = audit_bob(&server, &declared("bob-key", "BOB")).await;
    let inventory = run.token("aws-prod");
    assert_eq!(rules(inventory), ["inventory-incomplete"], "{inventory:#}");
    assert_eq!(inventory["status"], "unverifiable");
    assert!(
        inventory["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("root user's access keys"),
        "{inventory:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_key_the_account_does_not_list_is_not_found() {
    let server = paged_account().await;
    // Bob is hidden from ListUsers: his key, which his own check observes in account
    // 123456789012, is not in that account's listing.
    answer_instead(
        &server,
        "ListUsers",
        xml(
            "ListUsers",
            &format!(
                "<Users>{}</Users><IsTruncated>false</IsTruncated>",
                user("Alice", "AIDAALICEEXAMPLE0001")
            ),
        ),
    )
    .await;
    let run = audit_bob(&server, &declared("bob-key", "BOB")).await;
    assert_eq!(run.exit, 1, "{:#}", run.json);
    let bob = run.token("bob-key");
    assert_eq!(rules(bob), ["token-not-found"], "{bob:#}");
    assert_eq!(finding(bob, "token-not-found")["severity"], "error");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_that_does_not_end_or_fails_is_an_error() {
    // A marker that comes back: the listing would never end.
    let server = paged_account().await;
    answer_instead(
        &server,
        "ListUsers",
        xml(
            "ListUsers",
            &format!(
                "<Users>{}</Users><IsTruncated>true</IsTruncated><Marker>again</Marker>",
                user("Alice", "AIDAALICEEXAMPLE0001")
            ),
        ),
    )
    .await;
    let run = audit(&server.uri(), AUDITOR, &[], audit_policy("", "")).await;
    // Unchecked: exit 3.
    assert_eq!(run.exit, 3, "{:#}", run.json);
    let inventory = run.token("aws-prod");
    let error = finding(inventory, "host-error");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("same `Marker` twice"),
        "{error:#}"
    );
    assert_eq!(
        run.tokens().len(),
        1,
        "nothing of a broken listing is reported"
    );

    // A user's keys the auditor may not read: no listing at all, saying what to grant.
    let server = paged_account().await;
    answer_instead(
        &server,
        "ListAccessKeys",
        xml_error(
            403,
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: iam:ListAccessKeys",
        ),
    )
    .await;
    let run = audit(&server.uri(), AUDITOR, &[], audit_policy("", "")).await;
    assert_eq!(run.exit, 3, "{:#}", run.json);
    let message = finding(run.token("aws-prod"), "host-error")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("the inventory's profile `audit` may not call iam:ListAccessKeys"),
        "{message}"
    );
}

/// A declared key with `service_credentials = true` checks its user's Git credentials
/// itself: the listing counts them as declared by it, not as tokens nobody declared.
#[tokio::test(flavor = "multi_thread")]
async fn git_credentials_a_declared_key_checks_are_declared() {
    let server = paged_account().await;
    Mock::given(body_string_contains("Action=ListServiceSpecificCredentials&"))
        .and(body_string_contains("UserName=Bob"))
        .respond_with(xml(
            "ListServiceSpecificCredentials",
            "<ServiceSpecificCredentials><member><UserName>Bob</UserName><Status>Active</Status><ServiceUserName>bob-at-123456789012</ServiceUserName><CreateDate>2026-01-10T09:00:00Z</CreateDate><ServiceSpecificCredentialId>ACCABOBGITEXAMPLE001</ServiceSpecificCredentialId><ServiceName>codecommit.amazonaws.com</ServiceName></member></ServiceSpecificCredentials><IsTruncated>false</IsTruncated>",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let tokens = |service_credentials: bool| {
        declared("bob-key", "BOB") + &format!("service_credentials = {service_credentials}\n")
    };
    let run = audit_bob(&server, &tokens(true)).await;
    assert!(
        run.tokens()
            .iter()
            .all(|t| t["name"] != "aws-prod.ACCABOBGITEXAMPLE001"),
        "{:#}",
        run.json
    );
    // Bob's listing is his key's, which comes first.
    assert_eq!(
        run.token("bob-key")["listed"]["source"],
        "iam:ListAccessKeys"
    );

    // Without `service_credentials`, nobody checks it: undeclared.
    let run = audit_bob(&server, &tokens(false)).await;
    let git = run.token("aws-prod.ACCABOBGITEXAMPLE001");
    assert_eq!(rules(git), ["undeclared-token"], "{git:#}");
    assert!(
        finding(git, "undeclared-token")["message"]
            .as_str()
            .unwrap()
            .contains("`bob-at-123456789012` of `Bob`"),
        "{git:#}"
    );
}

/// A key whose last use IAM records as `sts` or `iam` may have been used last by
/// patlint's own check of it (a run that declared it): no evidence of the integration's.
#[tokio::test(flavor = "multi_thread")]
async fn a_last_use_by_sts_or_iam_is_no_evidence_in_a_listing() {
    let server = paged_account().await;
    Mock::given(body_string_contains("Action=GetAccessKeyLastUsed&"))
        .and(body_string_contains("AccessKeyId=AKIAALICEKEYEXAMPLE1"))
        .respond_with(xml(
            "GetAccessKeyLastUsed",
            "<AccessKeyLastUsed><Region>us-east-1</Region><LastUsedDate>2026-11-20T10:45:00Z</LastUsedDate><ServiceName>sts</ServiceName></AccessKeyLastUsed><UserName>Alice</UserName>",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let run = audit_bob(&server, &declared("bob-key", "BOB")).await;
    let alice = run.token("aws-prod.AKIAALICEKEYEXAMPLE1");
    assert!(alice["facts"].get("last_used_at").is_none(), "{alice:#}");
    assert!(alice["facts"].get("created_at").is_some(), "{alice:#}");
}
