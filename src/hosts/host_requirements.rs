//! Each host's own requirement keys: declared in its folder, gathered by the registry
//! into [`HostRequirements`](super::HostRequirements), merged level over level.

use super::Host;
use crate::policy::Requirements;

/// Settings that a more specific level of the policy overrides key by key.
pub trait Layered {
    /// Fills what `self` leaves unset from a less specific level.
    fn or(self, less_specific: &Self) -> Self;
}

/// For a host without requirement keys of its own.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize, schemars::JsonSchema)]
pub struct NoRequirements {}

impl Layered for NoRequirements {
    fn or(self, _: &Self) -> Self {
        self
    }
}

/// A host's own requirements in a token's: read by the host only.
pub trait OwnRequirements: Host {
    fn requirements_of(requirements: &Requirements) -> &Self::Requirements;
}

/// [`Layered`] for a struct of optional settings: each field the more specific level's,
/// else the less specific one's.
macro_rules! layered {
    ($type:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::hosts::Layered for $type {
            fn or(self, less_specific: &Self) -> Self {
                $type {
                    $($field: self.$field.or_else(|| less_specific.$field.clone()),)+
                }
            }
        }
    };
}
pub(crate) use layered;

/// The registry's part for requirements: the schema's keys, every level's values, each
/// host's access and check.
macro_rules! host_requirements {
    ($($variant:ident = $host:ty),+) => {
        /// Every host's own requirement keys, for the policy's JSON Schema.
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code, non_snake_case)]
        pub struct HostRequirementKeys {
            $(#[serde(flatten)] $variant: <$host as Host>::RawRequirements,)+
        }

        /// Each host's own requirements at one level of the policy: a level that names
        /// no host (`[defaults]`) may hold any host's keys.
        #[derive(Debug, Clone, Default, PartialEq)]
        #[allow(non_snake_case)]
        pub struct HostRequirements {
            $($variant: <$host as Host>::Requirements,)+
        }

        impl Layered for HostRequirements {
            fn or(self, less_specific: &Self) -> Self {
                HostRequirements {
                    $($variant: self.$variant.or(&less_specific.$variant),)+
                }
            }
        }

        impl HostRequirements {
            /// Validates every host's own keys of one level.
            pub(crate) fn parse(keys: &mut RequirementKeys<'_>) -> HostRequirements {
                HostRequirements {
                    $($variant: keys
                        .parse::<<$host as Host>::RawRequirements>()
                        .map(|raw| <$host as Host>::requirements(raw, keys))
                        .unwrap_or_default(),)+
                }
            }
        }

        impl HostKind {
            /// The names of the host's own requirement keys.
            pub fn own_requirement_keys(self) -> &'static [&'static str] {
                match self {
                    $(HostKind::$variant => crate::policy::raw::field_names::<<$host as Host>::RawRequirements>(),)+
                }
            }

            /// The host's check of a token's own merged requirements.
            pub(crate) fn check_requirements(self, requirements: &Requirements) -> Result<(), ValueProblem> {
                match self {
                    $(HostKind::$variant => <$host as Host>::check_requirements(&requirements.host.$variant),)+
                }
            }
        }

        $(
            impl OwnRequirements for $host {
                fn requirements_of(requirements: &Requirements) -> &Self::Requirements {
                    &requirements.host.$variant
                }
            }
        )+
    };
}
pub(crate) use host_requirements;
