//! Private input and its community. A private command (`agree`, `pulse`,
//! `reflect`, `my-data`, `forget-me`, …) arrives in a DM, where the platform
//! may not say which community it is for:
//!
//! 1. the adapter passes the community it knows (the Discord guild of the
//!    interaction; the community a Matrix DM room was opened for);
//! 2. when it can't know, the member's last community on that platform (the
//!    last one they used from a channel while this process has run);
//! 3. else the one community of that platform that knows the member;
//! 4. when several do, the member is asked which one, privately.
//!
//! `my-data` and `forget-me confirm` cover every community the member is in on
//! that platform, in one answer.

use serde_json::json;
use tracing::error;

use super::{Answer, Delivery, Engine, EngineError};
use crate::core::command::Command;
use crate::core::effect::{Kind, Line, Message};
use crate::core::ids::{CommunityId, MemberRef};
use crate::core::input::{Actor, Input, Place};

/// Where a private command goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    One(CommunityId),
    /// The member is known in several communities: ask which one.
    Ask(Vec<CommunityId>),
    /// No community on this platform knows the member yet.
    Unknown,
}

impl Engine {
    /// Which community a member's private command belongs to, when the adapter can't say.
    pub async fn route_private(&self, member: &MemberRef) -> Result<Route, EngineError> {
        let last = self.inner.last_community.lock().ok().and_then(|m| m.get(member).cloned());
        if let Some(c) = last {
            return Ok(Route::One(c));
        }
        let mut known = self.inner.store.communities_of(member).await?;
        known.retain(|c| c.platform() == member.platform());
        Ok(match known.len() {
            0 => Route::Unknown,
            1 => Route::One(known.remove(0)),
            _ => Route::Ask(known),
        })
    }

    /// Submits a private command. `known` is the community the adapter knows,
    /// if any; otherwise [`Engine::route_private`] decides, and an ambiguous or
    /// unknown route answers the member privately instead of guessing.
    pub async fn submit_private(
        &self,
        known: Option<CommunityId>,
        actor: Actor,
        command: Command,
        event: Option<String>,
    ) -> Result<Answer, EngineError> {
        let community = match known {
            Some(c) => c,
            None => match self.route_private(&actor.member).await? {
                Route::One(c) => c,
                Route::Ask(options) => return Ok(ask(&actor.member, &options)),
                Route::Unknown => {
                    let msg = Message::info(Line::new("private-no-community"));
                    return Ok(Answer { deliveries: vec![Delivery::Whisper { to: actor.member, message: msg }] });
                }
            },
        };
        let forgetting = matches!(command, Command::ForgetMe { .. });
        let member = actor.member.clone();
        let input = Input::Command { actor: actor.clone(), place: Place::Private, command: command.clone() };
        let mut answer = self.submit(&community, input, event).await?;
        if forgetting && !answer.deliveries.iter().any(is_refusal) {
            // Forgotten here, so forgotten everywhere on this platform (both the request and its
            // confirmation go to each community): the one answer above stands for all of them.
            let mut others = self.inner.store.communities_of(&member).await?;
            others.retain(|c| c.platform() == member.platform() && c != &community);
            for other in others {
                let input = Input::Command { actor: actor.clone(), place: Place::Private, command: command.clone() };
                let more = self.submit(&other, input, None).await?;
                // Their confirmations would repeat the one above; what others must hear stays.
                answer
                    .deliveries
                    .extend(more.deliveries.into_iter().filter(|d| !matches!(d, Delivery::Whisper { to, .. } if *to == member)));
            }
            if matches!(command, Command::ForgetMe { confirm: true })
                && let Ok(mut m) = self.inner.last_community.lock()
            {
                m.remove(&member);
            }
        }
        Ok(answer)
    }
}

fn is_refusal(d: &Delivery) -> bool {
    matches!(d, Delivery::Whisper { message, .. } if message.kind == Kind::Refusal)
}

/// Asks the member, privately, which community they mean.
fn ask(member: &MemberRef, options: &[CommunityId]) -> Answer {
    let names: Vec<String> = options.iter().map(|c| c.raw().to_owned()).collect();
    let msg = Message::info(Line::new("private-which-community").text("communities", names.join(", ")));
    Answer { deliveries: vec![Delivery::Whisper { to: member.clone(), message: msg }] }
}

/// `my-data`: everything stored about the member in every community of their
/// platform, as one file.
pub(super) async fn export(engine: &Engine, asked_in: &CommunityId, to: MemberRef) -> Delivery {
    let store = &engine.inner.store;
    let gathered = async {
        let mut communities = store.communities_of(&to).await?;
        communities.retain(|c| c.platform() == to.platform());
        if !communities.contains(asked_in) {
            communities.insert(0, asked_in.clone());
        }
        let mut parts = Vec::with_capacity(communities.len());
        for c in &communities {
            parts.push(json!({ "community": c.key(), "data": store.export_member(c, &to).await? }));
        }
        Ok::<_, crate::store::StoreError>(json!({ "member": to.key(), "communities": parts }))
    }
    .await;
    let message = match gathered.and_then(|v| serde_json::to_string_pretty(&v).map_err(crate::store::StoreError::Encode)) {
        Ok(content) => super::actor::data_message(content),
        Err(e) => {
            error!(community = %asked_in, error = %e, "my-data export failed");
            Message::new(Kind::Refusal, vec![Line::new("store-unavailable")])
        }
    };
    Delivery::Whisper { to, message }
}
