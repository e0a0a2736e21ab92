//! The integration tests, one binary: each module is one area of patlint, run through
//! its CLI or its library against local servers.

mod common;

mod action;
mod audit_aws;
mod audit_azure;
mod audit_github;
mod audit_gitlab;
mod audit_pages;
mod aws;
mod aws_xml;
mod azure;
mod azure_probes;
mod azure_reach;
mod bitbucket;
mod bitbucket_audit;
mod canary;
mod cases;
mod cli;
mod commands;
mod consumers;
mod evaluate;
mod faults;
mod formats;
mod github;
mod github_probes;
mod github_sso;
mod gitlab;
mod gitlab_associations;
mod hostile;
mod injection;
mod install;
mod links;
mod policy;
mod rate_limits;
mod tls;
mod waivers;
