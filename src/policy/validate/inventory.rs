//! `[[inventory]]` tables: an admin credential that lists a host's tokens for
//! `patlint audit`. An inventory is written like a token (name, host, secret, URL and the
//! host's keys) plus the host's own inventory keys; it has no requirements of its own.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{ParsedDoc, ParsedToken, Validator};
use crate::hosts::{HostKind, InventoryScope};
use crate::policy::raw::{HTTP_KEYS, RawToken, field_names};
use crate::policy::{DocId, InventorySpec, Requirements};

/// One `[[inventory]]` after the first pass.
pub(super) struct ParsedInventory {
    pub(super) table: ParsedToken,
    pub(super) scope: Option<InventoryScope>,
}

impl Validator {
    pub(super) fn inventory_section(
        &mut self,
        doc: DocId,
        value: &Spanned<DeValue>,
    ) -> Vec<ParsedInventory> {
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                doc,
                value.span(),
                "`inventory` must be an array of tables",
                "expected [[inventory]] tables",
                Some("write each inventory as an `[[inventory]]` table".into()),
            );
            return Vec::new();
        };
        let mut known = vec![field_names::<RawToken>()];
        known.extend(HostKind::ALL.iter().map(|h| h.token_keys()));
        known.extend(HostKind::ALL.iter().map(|h| h.inventory_keys()));
        let mut inventories = Vec::new();
        for item in items.iter() {
            let Some(table) = self.as_table(doc, item, "each [[inventory]]") else {
                continue;
            };
            self.check_host_table_keys(
                doc,
                table,
                &known,
                "in [[inventory]] (an inventory has no requirements: they come from [defaults] and [hosts.<host>])",
                super::HostTable::Inventory,
            );
            let Some(parsed) = self.token_table(doc, item, "inventory") else {
                continue;
            };
            let scope = parsed.host.and_then(|host| {
                self.check_inventory_keys_for_host(doc, table, host);
                self.inventory_keys(doc, item, &parsed, host)
            });
            inventories.push(ParsedInventory {
                table: parsed,
                scope,
            });
        }
        inventories
    }

    /// Keys of another host's tokens or inventories.
    fn check_inventory_keys_for_host(&mut self, doc: DocId, table: &DeTable, host: HostKind) {
        let claims = |h: HostKind, key: &str| {
            h.token_keys().contains(&key)
                || h.inventory_keys().contains(&key)
                || (h.meta().http && HTTP_KEYS.contains(&key))
        };
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            let others: Vec<HostKind> = HostKind::ALL
                .iter()
                .copied()
                .filter(|h| claims(*h, name))
                .collect();
            if !others.is_empty() && !others.contains(&host) {
                self.problem(
                    doc,
                    key.span(),
                    format!("`{name}` does not apply to `{host}` inventories"),
                    "not a key of this host",
                    Some(format!("remove `{name}` from this inventory")),
                );
            }
        }
    }

    fn inventory_keys(
        &mut self,
        doc: DocId,
        item: &Spanned<DeValue<'_>>,
        parsed: &ParsedToken,
        host: HostKind,
    ) -> Option<InventoryScope> {
        let mut keys = self.keys_of(doc, item, &parsed.raw, "inventory");
        host.scope(&mut keys)
    }

    /// Every inventory's spec; names are unique among tokens and inventories alike.
    pub(super) fn resolve_inventories(
        &mut self,
        main: &ParsedDoc,
        names: &mut BTreeMap<String, Range<usize>>,
    ) -> Vec<InventorySpec> {
        let mut specs = Vec::new();
        for inventory in &main.inventories {
            let table = &inventory.table;
            let Some(name) = self.token_name(main.doc, table, names) else {
                continue;
            };
            if table.host.is_none() {
                if table.raw.host.is_none() {
                    self.missing_key_of(
                        "inventory",
                        main.doc,
                        table.table_span.clone(),
                        "host",
                        &add_a_listing_host(),
                    );
                }
                continue;
            }
            let token = self.spec(main.doc, table, name, Requirements::default());
            if let (Some(token), Some(scope)) = (token, inventory.scope.clone()) {
                specs.push(InventorySpec { token, scope });
            }
        }
        specs
    }
}

/// "add `host = "github"` (or gitlab, …)": the hosts that have a listing of tokens.
fn add_a_listing_host() -> String {
    let mut hosts = HostKind::ALL
        .iter()
        .filter(|h| h.meta().inventory.is_some())
        .map(|h| h.as_str());
    let first = hosts.next().unwrap_or_default();
    let others: Vec<&str> = hosts.collect();
    format!("add `host = \"{first}\"` (or {})", others.join(", "))
}
