//! What only one host reveals about a token: each host declares its own facts type, and
//! the registry gathers them into [`HostFacts`](super::HostFacts).

use super::Host;
use crate::facts::TokenFacts;

/// What only one host reveals about a token: its own facts, each an
/// [`Observed`](crate::facts::Observed) with its evidence or the reason it is missing.
pub trait HostSpecificFacts:
    std::fmt::Debug + Default + Clone + PartialEq + serde::Serialize + serde::de::DeserializeOwned
{
    /// The keys it writes in a facts record (its values, and its names in the record's
    /// `evidence` and `unobservable` maps): no two hosts share one.
    const NAMES: &'static [&'static str];

    /// Each fact with its name, in the order the record's maps list them.
    fn named(&self) -> crate::facts::Named<'_>;

    fn named_mut(&mut self) -> crate::facts::NamedMut<'_>;

    /// What the JSON report shows of them, beside the facts every host may reveal.
    fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
        Vec::new()
    }
}

/// For a host that reveals nothing beyond the facts every host may.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NoFacts {}

impl HostSpecificFacts for NoFacts {
    const NAMES: &'static [&'static str] = &[];

    fn named(&self) -> crate::facts::Named<'_> {
        Vec::new()
    }

    fn named_mut(&mut self) -> crate::facts::NamedMut<'_> {
        Vec::new()
    }
}

/// A host's own facts in a token's facts: read and written by the host only.
pub trait OwnFacts: Host {
    /// This host's facts, if the record holds them.
    fn facts(facts: &TokenFacts) -> Option<&Self::Facts>;

    /// This host's facts, made empty if the record holds none yet.
    fn facts_mut(facts: &mut TokenFacts) -> &mut Self::Facts;
}

/// The registry's part for facts: `HostFacts`, its record keys and each host's access.
macro_rules! host_facts {
    ($($variant:ident = $host:ty),+) => {
        /// What only the token's host revealed (`None`: nothing beyond the shared facts).
        #[derive(Debug, Clone, Default, PartialEq)]
        pub enum HostFacts {
            #[default]
            None,
            $($variant(<$host as Host>::Facts),)+
        }

        impl HostFacts {
            pub(crate) fn named(&self) -> crate::facts::Named<'_> {
                match self {
                    HostFacts::None => Vec::new(),
                    $(HostFacts::$variant(f) => f.named(),)+
                }
            }

            pub(crate) fn named_mut(&mut self) -> crate::facts::NamedMut<'_> {
                match self {
                    HostFacts::None => Vec::new(),
                    $(HostFacts::$variant(f) => f.named_mut(),)+
                }
            }

            /// What the JSON report shows of them.
            pub fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
                match self {
                    HostFacts::None => Vec::new(),
                    $(HostFacts::$variant(f) => f.reported(),)+
                }
            }

            /// The empty facts of the host that writes any of these record keys.
            pub(crate) fn claiming<'k>(mut keys: impl Iterator<Item = &'k str>) -> HostFacts {
                let host = keys.find_map(|key| {
                    HostKind::ALL.iter().copied().find(|host| host.fact_names().contains(&key))
                });
                match host {
                    None => HostFacts::None,
                    $(Some(HostKind::$variant) => HostFacts::$variant(Default::default()),)+
                }
            }

            /// Reads the facts of the host that writes any of the record's keys.
            fn from_record(
                record: serde_json::Map<String, serde_json::Value>,
            ) -> Result<HostFacts, serde_json::Error> {
                let value = serde_json::Value::Object(record);
                let keys: Vec<&str> = value.as_object().into_iter().flatten().map(|(k, _)| k.as_str()).collect();
                Ok(match HostFacts::claiming(keys.into_iter()) {
                    HostFacts::None => HostFacts::None,
                    $(HostFacts::$variant(_) => HostFacts::$variant(serde_json::from_value(value)?),)+
                })
            }
        }

        impl HostKind {
            /// The record keys of the host's own facts.
            fn fact_names(self) -> &'static [&'static str] {
                match self {
                    $(HostKind::$variant => <<$host as Host>::Facts as HostSpecificFacts>::NAMES,)+
                }
            }
        }

        impl serde::Serialize for HostFacts {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    HostFacts::None => s.collect_map(std::iter::empty::<(&str, &str)>()),
                    $(HostFacts::$variant(f) => f.serialize(s),)+
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for HostFacts {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let record = serde_json::Map::deserialize(d)?;
                HostFacts::from_record(record).map_err(serde::de::Error::custom)
            }
        }

        $(
            impl OwnFacts for $host {
                fn facts(facts: &TokenFacts) -> Option<&Self::Facts> {
                    match &facts.host {
                        HostFacts::$variant(f) => Some(f),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }

                fn facts_mut(facts: &mut TokenFacts) -> &mut Self::Facts {
                    if !matches!(facts.host, HostFacts::$variant(_)) {
                        facts.host = HostFacts::$variant(Default::default());
                    }
                    match &mut facts.host {
                        HostFacts::$variant(f) => f,
                        #[allow(unreachable_patterns)]
                        _ => unreachable!("set just above"),
                    }
                }
            }
        )+
    };
}
pub(crate) use host_facts;
