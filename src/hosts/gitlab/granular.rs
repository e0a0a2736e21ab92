//! A fine-grained token's grants. `GET /personal_access_tokens/self` says a token is
//! fine-grained (`granular: true`, its one scope `granular`, given by
//! app/services/authn/personal_access_tokens/create_granular_service.rb) but never lists
//! its grants: lib/api/personal_access_tokens/self_information.rb presents it without
//! `with_granular_scopes`. `GET /personal_access_tokens/:id`, which a user may ask of their
//! own token, presents it `with_granular_scopes: true` (lib/api/personal_access_tokens.rb),
//! adding `granular_scopes`. Both need `read_personal_access_token` at the user boundary of
//! a fine-grained token (`route_setting :authorization, permissions:
//! :read_personal_access_token, boundary_type: :user`).

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::Endpoint;
use super::answers::{get, granular_refusal, not_own, own_answer};
use super::facts::GranularScope;
use crate::client::wire::join;
use crate::facts::{Observation, Observed};
use crate::hosts::{Answer, Call, Probe};
use crate::rules::Rule;

/// What a fine-grained token needs to read itself, in GitLab's two spellings.
pub(super) const READ_PAT: &str = "read_personal_access_token";
pub(super) const READ_PAT_SHOWN: &str = "Personal Access Token: Read";

/// How to let patlint read a fine-grained token: the permission GitLab asks for.
pub(super) const LET_IT_READ_ITSELF: &str = "give the token `read_personal_access_token` (GitLab shows it as \"Personal Access Token: Read\", on the User tab of the fine-grained token form): a fine-grained token's grants cannot be changed, so create one with it and update the secret the policy names";

pub const DOCS: Probe = Probe {
    rules: &[Rule::MissingPermission, Rule::ForbiddenPermission],
    request: "GET /api/v4/personal_access_tokens/:id, the id `/self` gave, for a fine-grained token",
    answers: "200 with `granular_scopes`: each grant's permissions and where it holds (a project, a group and everything in it, all the user's memberships, the user's personal projects, the user, the instance); 403 insufficient_granular_scope: the token lacks `read_personal_access_token`, so its permissions are unverifiable (only `read_project` is still settled, by the read of each project)",
    harmless: "a read",
};

/// The token entity of `GET /personal_access_tokens/:id`: only its grants are read here.
#[derive(Deserialize)]
struct WithGrants {
    granular_scopes: Option<Vec<GranularScope>>,
}

/// The grants of the token `/self` gave the id of; the outer `Err` is a failure to ask.
pub(super) async fn read(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    id: u64,
) -> Result<Observed<Vec<GranularScope>>, Observation> {
    let url = join(
        &endpoint.url,
        &format!("api/v4/personal_access_tokens/{id}"),
    );
    Ok(interpret(&get(call, auth, url).await?))
}

fn interpret(answer: &Answer) -> Observed<Vec<GranularScope>> {
    let request = &answer.request;
    match answer.status {
        StatusCode::OK => match answer.read::<WithGrants>() {
            Ok(WithGrants {
                granular_scopes: Some(grants),
            }) => Observed::seen(grants, format!("`granular_scopes` in {request}")),
            Ok(WithGrants {
                granular_scopes: None,
            }) => Observed::unobservable(format!(
                "{request} answered without `granular_scopes`: this GitLab does not list a token's fine-grained grants"
            )),
            Err(problem) => Observed::unobservable(format!(
                "{request} answered 200 with {problem}, not GitLab's token entity"
            )),
        },
        StatusCode::FORBIDDEN if let Some(refusal) = granular_refusal(answer) => {
            Observed::unobservable(format!(
                "{request} answered 403 insufficient_granular_scope (\"{}\"): {LET_IT_READ_ITSELF}",
                refusal.description
            ))
        }
        _ if !own_answer(answer) => Observed::unobservable(not_own(answer)),
        status => Observed::unobservable(format!(
            "{request} answered {status}{}",
            answer.quoted_message()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::gitlab::facts::Access;

    fn answer(status: u16, body: serde_json::Value) -> Answer {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.to_string(),
            request: "GET /api/v4/personal_access_tokens/42".into(),
        }
    }

    #[test]
    fn the_grants_of_a_token_are_read_and_their_absence_explained() {
        let grants = interpret(&answer(
            200,
            serde_json::json!({"id": 42, "granular": true, "scopes": ["granular"], "granular_scopes": [
                {"access": "user", "permissions": ["read_personal_access_token"], "project_id": null, "group_id": null},
                {"access": "selected_memberships", "permissions": ["read_project"], "project_id": 7, "group_id": null}
            ]}),
        ));
        let read = grants.value().unwrap();
        assert_eq!(read[1].access, Access::SelectedMemberships);
        assert_eq!(read[1].project_id, Some(7));

        let refused = interpret(&answer(
            403,
            serde_json::json!({"error": "insufficient_granular_scope", "error_description": "Access denied: This operation requires a fine-grained personal access token with the following user permissions: [Personal Access Token: Read]."}),
        ));
        assert!(refused.why_unobservable().contains(READ_PAT));
        let old = interpret(&answer(
            200,
            serde_json::json!({"id": 42, "scopes": ["granular"]}),
        ));
        assert!(old.why_unobservable().contains("without `granular_scopes`"));
    }
}
