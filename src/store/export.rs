//! `my-data`: everything stored about one member, as JSON.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sqlx::Row;

use super::{Store, StoreError};
use crate::core::circle::{Circle, TurnRecord};
use crate::core::ids::{CommunityId, MemberRef};
use crate::core::state::Community;

impl Store {
    pub async fn export_member(&self, community: &CommunityId, who: &MemberRef) -> Result<Value, StoreError> {
        let key = who.key();
        let cid_key = community.key();
        let cid = cid_key.as_str();
        // One read transaction, so every query sees the same moment: a commit in between
        // could otherwise move turns from a circle's row to `turns` between two reads.
        let mut tx = self.pool().begin().await?;
        let member = sqlx::query("SELECT doc, format FROM members WHERE community = ? AND member = ?")
            .bind(cid)
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        let member: Value = match member {
            Some(r) => super::decode_doc("member", &key, r.try_get("format")?, &r.try_get::<String, _>("doc")?)?,
            None => Value::Null,
        };
        // The member's finished turns, per circle, from the turn log.
        let mut spoke: BTreeMap<i64, Vec<TurnRecord>> = BTreeMap::new();
        for r in sqlx::query("SELECT circle, doc, format FROM turns WHERE community = ? AND speaker = ? ORDER BY circle, seq")
            .bind(cid)
            .bind(&key)
            .fetch_all(&mut *tx)
            .await?
        {
            let turn: TurnRecord =
                super::decode_doc("turn", r.try_get::<i64, _>("circle")?, r.try_get("format")?, &r.try_get::<String, _>("doc")?)?;
            spoke.entry(r.try_get("circle")?).or_default().push(turn);
        }
        let mut circles = Vec::new();
        for r in
            sqlx::query("SELECT id, doc, format, recent FROM circles WHERE community = ? ORDER BY id").bind(cid).fetch_all(&mut *tx).await?
        {
            let (id, format): (i64, i64) = (r.try_get("id")?, r.try_get("format")?);
            let (doc, recent): (&str, Option<&str>) = (r.try_get("doc")?, r.try_get("recent")?);
            let decoded = super::decode_doc::<Circle>("circle", id, format, doc)
                .and_then(|c| Ok((c, recent.map(|t| super::decode_doc::<Vec<TurnRecord>>("turn", id, format, t)).transpose()?)));
            let (mut c, recent) = match decoded {
                Ok(both) => both,
                Err(_) => {
                    // A damaged record (`attune doctor` names it) doesn't stop the rest: it is
                    // listed as unreadable where it names the member, and otherwise left out.
                    let quoted = super::encode(&key)?;
                    if doc.contains(&quoted) || recent.is_some_and(|t| t.contains(&quoted)) {
                        circles.push(json!({ "circle": id, "unreadable": true }));
                    }
                    continue;
                }
            };
            // A document that still carries its log (see `upgrade`) has its turns there;
            // then come those in `turns`, then those that wait in the circle's row.
            c.log.extend(spoke.remove(&id).unwrap_or_default());
            c.log.extend(recent.unwrap_or_default());
            let mine = c.host == *who
                || c.cohosts.contains(who)
                || c.seats.iter().chain(c.waitlist.iter()).chain(c.removed.iter()).any(|s| &s.member == who)
                || c.log.iter().any(|t| &t.speaker == who)
                || c.pulses.contains_key(who);
            if !mine {
                continue;
            }
            let turns: Vec<Value> = c
                .log
                .iter()
                .filter(|t| &t.speaker == who)
                .map(|t| json!({ "kind": format!("{:?}", t.kind), "round": t.round, "started": t.started, "ended": t.ended, "how": format!("{:?}", t.how) }))
                .collect();
            circles.push(json!({
                "circle": c.id.0,
                "channel": c.channel.key(),
                "phase": c.phase.as_str(),
                "opened_at": c.opened_at,
                "ended_at": c.ended_at,
                "you_hosted": c.host == *who,
                "you_cohosted": c.cohosts.contains(who),
                "your_turns": turns,
                "your_pulse": c.pulses.get(who),
                "you_were_removed": c.is_removed(who),
            }));
        }
        let mut audit = Vec::new();
        for r in sqlx::query(
            "SELECT at, actor, action, target, circle FROM audit WHERE community = ? AND (actor = ? OR target = ?) ORDER BY seq",
        )
        .bind(cid)
        .bind(&key)
        .bind(&key)
        .fetch_all(&mut *tx)
        .await?
        {
            audit.push(json!({
                "at": r.try_get::<i64, _>("at")?,
                "actor": r.try_get::<String, _>("actor")?,
                "action": r.try_get::<String, _>("action")?,
                "target": r.try_get::<Option<String>, _>("target")?,
                "circle": r.try_get::<Option<i64>, _>("circle")?,
            }));
        }
        let suggestions: Vec<Value> =
            match sqlx::query("SELECT doc, format FROM communities WHERE id = ?").bind(cid).fetch_optional(&mut *tx).await? {
                Some(r) => {
                    let c: Community = super::decode_doc("community", cid, r.try_get("format")?, &r.try_get::<String, _>("doc")?)?;
                    c.suggestions.iter().filter(|s| &s.member == who).map(|s| json!({ "id": s.id, "text": s.text, "at": s.at })).collect()
                }
                None => Vec::new(),
            };
        tx.commit().await?;
        Ok(json!({
            "member": key,
            "community": cid,
            "profile": member,
            "circles": circles,
            "audit": audit,
            "suggestions": suggestions,
            "never_stored": "what you share in circles, and anything you write back to a reflection",
        }))
    }
}
