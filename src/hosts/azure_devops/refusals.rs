//! Azure DevOps' own answers, and its refusal of a PAT by the organization's conditional
//! access policy.
//!
//! - Its own answers: a serialized `WrappedException` (`$id`, `innerException`,
//!   `message`, `typeName`, `typeKey`, `errorCode`, `eventId`: microsoft/azure-devops-node-api
//!   api/interfaces/common/VSSInterfaces.ts; microsoft/azure-devops-python-api
//!   azure/devops/client.py `_handle_error` reads it and needs its `message`), or the
//!   headers it sets on its answers, errors included: the activity id its clients read
//!   from every answer (`ActivityId`: `VssResponseContext` in the .NET client), the process
//!   and end-to-end ids beside it (`X-TFS-ProcessId`, `X-VSS-E2EID`: listed among the
//!   headers of every answer by the HTTP logger of microsoft/azure-devops-dotnet-samples,
//!   ClientSampleHttpLogger.cs, and on the 401s quoted in microsoft/azure-pipelines-agent#1164
//!   and coder/coder#12351), and `X-TFS-ServiceError`, the error it sends beside an
//!   HTML 401 page (an on-premises server's, microsoft/azure-repos-vscode#246). A proxy,
//!   gateway or firewall in front of it sends none of them.
//! - Conditional access: when the organization validates its Microsoft Entra conditional
//!   access policies for PATs on REST calls too ("Enable IP Conditional Access policy
//!   validation": learn.microsoft.com/en-us/azure/devops/organizations/accounts/conditional-access-policies),
//!   a request the policy does not admit (an address outside the allowed ranges) is
//!   answered 403 with `{"message": "VS403463: The conditional access policy defined by
//!   your Azure Active Directory administrator has failed.", "typeKey":
//!   "VssServiceException", …}` (microsoft/coe-starter-kit#6694, on a project's
//!   resources; connectionData answers it the same way).

use reqwest::StatusCode;

use crate::client::own_answer::{OwnAnswer, any_header};
use crate::hosts::Answer;

pub(super) const OWN: OwnAnswer = OwnAnswer {
    hosts: "Azure DevOps'",
    marks: "Azure DevOps' JSON error (`message`, `typeKey`) or its headers (`ActivityId`, `X-TFS-ProcessId`, `X-VSS-E2EID`, `X-TFS-ServiceError`)",
    body: |body| {
        body.get("message").is_some_and(|m| m.is_string())
            && body.get("typeKey").is_some_and(|k| k.is_string())
    },
    marked: |answer| {
        any_header(
            answer,
            &[
                "activityid",
                "x-tfs-processid",
                "x-vss-e2eid",
                "x-tfs-serviceerror",
            ],
        )
    },
};

/// The code of Azure DevOps' conditional-access refusal.
const CONDITIONAL_ACCESS: &str = "VS403463";

/// The organization's conditional access policy, in patlint's words, when the answer is
/// Azure DevOps' own refusal by it.
pub(super) fn conditional_access(answer: &Answer) -> Option<String> {
    if answer.status != StatusCode::FORBIDDEN || !OWN.recognises(answer) {
        return None;
    }
    let said = answer
        .api_message()
        .or_else(|| answer.header("x-tfs-serviceerror"))
        .filter(|message| message.contains(CONDITIONAL_ACCESS))?;
    let said: String = said.chars().filter(|c| !c.is_control()).take(300).collect();
    Some(format!(
        "the conditional access policy of the organization's Microsoft Entra tenant does not admit this request (from this address or device), so every request with the PAT is refused here (Azure DevOps: \"{said}\")"
    ))
}

/// How a refused answer is cited: its request, status and Azure DevOps' message.
pub(super) fn evidence(answer: &Answer) -> String {
    format!("{}{}", answer.probe_evidence(), answer.quoted_message())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn answer(status: u16, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.into(),
            request: "GET /fabrikam/_apis/connectionData".into(),
        }
    }

    /// Verbatim from microsoft/coe-starter-kit#6694.
    const VS403463: &str = r#"{"$id":"1","innerException":null,"message":"VS403463: The conditional access policy defined by your Azure Active Directory administrator has failed.","typeName":"Microsoft.VisualStudio.Services.Common.VssServiceException, Microsoft.VisualStudio.Services.Common","typeKey":"VssServiceException","errorCode":0,"eventId":3000}"#;

    #[test]
    fn the_conditional_access_refusal_is_told_only_from_azure_devops_own_403() {
        let policy = conditional_access(&answer(403, VS403463)).unwrap();
        assert!(policy.contains("conditional access policy"), "{policy}");
        assert!(
            policy.contains("VS403463: The conditional access"),
            "{policy}"
        );
        // Another 403 of Azure DevOps', or the same words from something else, is not it.
        assert_eq!(
            conditional_access(&answer(
                403,
                r#"{"message":"TF401027: You need the Git 'Read' permission","typeKey":"GitNeedsPermissionException"}"#
            )),
            None
        );
        assert_eq!(
            conditional_access(&answer(
                403,
                r#"{"message":"VS403463: The conditional access policy defined by your Azure Active Directory administrator has failed."}"#
            )),
            None
        );
        assert_eq!(conditional_access(&answer(401, VS403463)), None);
    }
}
