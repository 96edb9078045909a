//! Discord events → inputs, and the answer to an interaction.
//!
//! Every interaction is acknowledged before the engine is asked (a slash
//! command with an ephemeral "thinking" reply, a button press with a silent
//! acknowledgement), so Discord's 3-second window never depends on the
//! database. Then the engine's [`Answer`](crate::engine::Answer) is carried
//! out in order: the sender's private messages become ephemeral follow-ups,
//! everything else goes out as usual (`send.rs`). The interaction id is the
//! event id, so a replayed interaction changes nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use poise::serenity_prelude as serenity;

use super::{Error, Shared, buttons, modals};
use crate::core::command::Command;
use crate::core::effect::{Kind, Line, Message};
use crate::core::ids::{ChannelId, CommunityId, MemberRef, Platform};
use crate::core::input::{Actor, Input, Place};
use crate::core::standing::Standing;
use crate::engine::{Answer, Delivery, EngineError};

/// The first to see each gateway event, before the command framework.
///
/// Button presses and submitted forms are acknowledged and handled here: serenity
/// starts this handler's task first, alongside (not through) the framework's, so
/// a press is acknowledged without waiting on the framework's dispatch (slash
/// commands, which the framework reads, go to `commands.rs`; poise itself does
/// nothing with presses or forms).
///
/// It also watches for known gateway events that serenity could not read: serenity
/// turns them into unknown events and logs them at debug only, so they would vanish
/// silently; attune counts and warns.
pub(super) struct Watch {
    pub(super) unreadable: Arc<AtomicU64>,
    /// Set once attune is ready to answer; a press before that is left to Discord's
    /// own "this interaction failed", as a press while attune is down would be.
    pub(super) shared: Arc<std::sync::OnceLock<Arc<Shared>>>,
}

#[serenity::async_trait]
impl serenity::RawEventHandler for Watch {
    async fn raw_event(&self, ctx: serenity::Context, event: serenity::Event) {
        match event {
            serenity::Event::InteractionCreate(created) => {
                let Some(shared) = self.shared.get() else { return };
                match created.interaction {
                    serenity::Interaction::Component(press) => {
                        let invocation = Invocation::from_component(&press);
                        // Acknowledge at once, silently; what the press caused follows.
                        if let Err(e) = timed_ack(press.defer(&ctx.http)).await {
                            tracing::warn!(error = %e, "a button press could not be acknowledged");
                            return;
                        }
                        shared.handle_press(&invocation, &press.data.custom_id).await;
                    }
                    serenity::Interaction::Modal(form) => {
                        let invocation = Invocation::from_modal(&form);
                        if let Err(e) = timed_ack(form.defer_ephemeral(&ctx.http)).await {
                            tracing::warn!(error = %e, "a submitted form could not be acknowledged");
                            return;
                        }
                        shared.handle_form(&invocation, &form).await;
                    }
                    _ => {}
                }
            }
            serenity::Event::Unknown(unknown) if KNOWN.contains(&unknown.kind.as_str()) => {
                self.unreadable.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(event = %unknown.kind, "Discord sent an event attune could not read; it was dropped");
            }
            _ => {}
        }
    }
}

/// Event names serenity 0.12 parses; one of these arriving as "unknown" was dropped.
const KNOWN: [&str; 14] = [
    "READY",
    "RESUMED",
    "GUILD_CREATE",
    "GUILD_UPDATE",
    "GUILD_MEMBER_REMOVE",
    "CHANNEL_CREATE",
    "CHANNEL_UPDATE",
    "CHANNEL_DELETE",
    "THREAD_CREATE",
    "INTERACTION_CREATE",
    "MESSAGE_CREATE",
    "MESSAGE_UPDATE",
    "VOICE_STATE_UPDATE",
    "GUILD_ROLE_UPDATE",
];

/// Who asked, where, and how to answer: the parts of a command or component
/// interaction the adapter needs.
pub(super) struct Invocation {
    id: u64,
    token: String,
    guild: Option<u64>,
    channel: u64,
    /// Where a private thread for this member can be opened: the channel itself,
    /// or a thread's parent (Discord opens no thread inside a thread).
    home: u64,
    user: u64,
    display: String,
    /// Manage Server, as Discord resolved it for this member in this channel.
    manage_guild: bool,
    roles: Vec<u64>,
    /// A slash command (deferred with an ephemeral "thinking" reply that must be
    /// replaced or removed) or a button (acknowledged silently).
    slash: bool,
}

impl Invocation {
    pub(super) fn from_command(i: &serenity::CommandInteraction) -> Self {
        Self::new(i.id.get(), &i.token, i.guild_id, i.channel_id, &i.user, i.member.as_deref(), true).in_channel(i.channel.as_ref())
    }

    fn from_component(i: &serenity::ComponentInteraction) -> Self {
        Self::new(i.id.get(), &i.token, i.guild_id, i.channel_id, &i.user, i.member.as_ref(), false).in_channel(i.channel.as_ref())
    }

    /// A submitted form, acknowledged like a slash command (an ephemeral "thinking").
    fn from_modal(i: &serenity::ModalInteraction) -> Self {
        Self::new(i.id.get(), &i.token, i.guild_id, i.channel_id, &i.user, i.member.as_ref(), true).in_channel(i.channel.as_ref())
    }

    /// A thread's parent is where a private thread for this member can go.
    fn in_channel(mut self, channel: Option<&serenity::PartialChannel>) -> Self {
        if let Some(c) = channel
            && matches!(
                c.kind,
                serenity::ChannelType::PublicThread | serenity::ChannelType::PrivateThread | serenity::ChannelType::NewsThread
            )
            && let Some(parent) = c.parent_id
        {
            self.home = parent.get();
        }
        self
    }

    fn new(
        id: u64,
        token: &str,
        guild: Option<serenity::GuildId>,
        channel: serenity::ChannelId,
        user: &serenity::User,
        member: Option<&serenity::Member>,
        slash: bool,
    ) -> Self {
        let display = member.and_then(|m| m.nick.clone()).or_else(|| user.global_name.clone()).unwrap_or_else(|| user.name.clone());
        Self {
            id,
            token: token.to_owned(),
            guild: guild.map(serenity::GuildId::get),
            channel: channel.get(),
            home: channel.get(),
            user: user.id.get(),
            display,
            manage_guild: member.and_then(|m| m.permissions).is_some_and(|p| p.contains(serenity::Permissions::MANAGE_GUILD)),
            roles: member.map(|m| m.roles.iter().map(|r| r.get()).collect()).unwrap_or_default(),
            slash,
        }
    }
}

/// poise's event handler: messages, voice and servers (button presses and forms
/// are handled by [`Watch`], before the framework; slash commands go to `commands.rs`).
pub(super) async fn on_event(_ctx: &serenity::Context, event: &serenity::FullEvent, shared: &Arc<Shared>) -> Result<(), Error> {
    match event {
        serenity::FullEvent::Message { new_message } => shared.handle_message(new_message).await,
        serenity::FullEvent::MessageUpdate { event, .. } => shared.handle_edit(event).await,
        serenity::FullEvent::VoiceStateUpdate { new, .. } => shared.on_voice_state(new).await,
        serenity::FullEvent::GuildCreate { guild, .. } => {
            shared.support.owner(guild.id.get(), guild.owner_id.get());
            shared.on_guild_voice(guild).await;
        }
        // Ownership can move to someone else while attune runs.
        serenity::FullEvent::GuildUpdate { new_data, .. } => shared.support.owner(new_data.id.get(), new_data.owner_id.get()),
        _ => {}
    }
    Ok(())
}

impl Shared {
    fn member(&self, user: u64) -> Option<MemberRef> {
        MemberRef::parse(Platform::Discord, &user.to_string()).ok()
    }

    /// The member as the core sees them, from the facts of an interaction: Manage
    /// Server as Discord resolved it, and the roles attune was told are moderators'.
    pub(super) fn actor(&self, inv: &Invocation) -> Option<Actor> {
        if let Some(g) = inv.guild {
            self.support.noted_manage(g, inv.user, inv.manage_guild);
        }
        let standing = Standing { manages: inv.manage_guild, named: self.named(&inv.roles), power: None, host: self.hosts(&inv.roles) };
        Some(Actor::from_facts(self.member(inv.user)?, inv.display.clone(), &standing))
    }

    /// Whether a configured moderator role is among `roles` (a fact about the member).
    pub(super) fn named(&self, roles: &[u64]) -> bool {
        roles.iter().any(|r| self.moderator_roles.contains(r))
    }

    /// Whether a configured host role is among `roles`.
    pub(super) fn hosts(&self, roles: &[u64]) -> bool {
        roles.iter().any(|r| self.host_roles.contains(r))
    }

    /// A button press: decoded back into its scoped action.
    async fn handle_press(&self, inv: &Invocation, custom_id: &str) {
        let Some(press) = buttons::decode(custom_id) else {
            let Some(member) = self.member(inv.user) else { return };
            let note = Message::info(Line::new("discord-button-unknown"));
            self.answer(inv, &member, Answer { deliveries: vec![Delivery::Whisper { to: member.clone(), message: note }] }, None).await;
            return;
        };
        if inv.guild.is_some_and(|g| g != press.guild) {
            // A button sent for one guild can't be pressed in another: act on nothing.
            tracing::warn!(interaction = inv.id, "a button named another guild; ignored");
            return;
        }
        // A press in a DM has no guild; the button names the community it was sent for
        // (or none, 0, on an answer sent before the member had a community).
        let guild = (press.guild != 0).then_some(press.guild);
        // DMs reach shard 0 only: a button for a server another process runs can't act here.
        if let (Some(g), Some(range)) = (guild, self.shards)
            && !range.owns(g)
        {
            let Some(member) = self.member(inv.user) else { return };
            let note = Message::info(Line::new("discord-button-elsewhere"));
            self.answer(inv, &member, Answer { deliveries: vec![Delivery::Whisper { to: member.clone(), message: note }] }, None).await;
            return;
        }
        self.submit(inv, Ok(press.action.command()), "", guild).await;
    }

    /// A submitted form: the core command it makes (the core checks who may).
    async fn handle_form(&self, inv: &Invocation, form: &serenity::ModalInteraction) {
        let Some(decoded) = modals::Form::decode(&form.data.custom_id) else {
            let Some(member) = self.member(inv.user) else { return };
            let note = Message::info(Line::new("discord-form-unknown"));
            self.answer(inv, &member, Answer { deliveries: vec![Delivery::Whisper { to: member.clone(), message: note }] }, None).await;
            return;
        };
        let input = |id: &str| {
            form.data.components.iter().flat_map(|row| &row.components).find_map(|c| match c {
                serenity::ActionRowComponent::InputText(t) if t.custom_id == id => t.value.clone(),
                _ => None,
            })
        };
        self.submit(inv, Ok(decoded.command(input)), "", None).await;
    }

    /// Submits a command (or one refused before the core, with the words typed
    /// into it) from an interaction and
    /// answers it. In a guild, the guild is the community and the channel the place;
    /// in a DM the input is private, for the community a button names, or else the
    /// one the engine routes the member to.
    pub(super) async fn submit(
        &self,
        inv: &Invocation,
        parsed: Result<Command, crate::core::Refusal>,
        text: &str,
        button_guild: Option<u64>,
    ) {
        let Some(actor) = self.actor(inv) else { return };
        let member = actor.member.clone();
        if let Some(g) = inv.guild {
            // Someone a support thread can bring in, or no longer.
            self.support.seen(g, inv.user, actor.moderator);
        }
        let event = Some(format!("interaction:{}", inv.id));
        let channel = inv.guild.and_then(|_| ChannelId::parse(Platform::Discord, &inv.channel.to_string()).ok());
        let mut community = inv.guild.or(button_guild).and_then(|g| CommunityId::parse(Platform::Discord, &g.to_string()).ok());
        // The member's last channel in this server: a private fallback for this community goes there, never to another server.
        if channel.is_some()
            && let Some(g) = inv.guild
            && let Ok(mut homes) = self.homes.lock()
        {
            homes.insert((g, member.clone()), inv.home);
        }
        if community.is_none()
            && let Ok(crate::engine::Route::One(c)) = self.engine.route_private(&member).await
        {
            // Known here, so the buttons of the answer can name it.
            community = Some(c);
        }
        let result = match (parsed, &community, channel) {
            (Ok(command), Some(c), Some(ch)) => {
                self.engine.submit(c, Input::Command { actor, place: Place::Channel(ch), command }, event).await
            }
            (Ok(command), known, _) => self.engine.submit_private(known.clone(), actor, command, event).await,
            (Err(refusal), Some(c), Some(ch)) => {
                let input = Input::BadCommand { actor, place: Place::Channel(ch), refusal, text: text.to_owned() };
                self.engine.submit(c, input, event).await
            }
            // A command refused before the core, in a DM: the core reads it (for crisis words too) and answers.
            (Err(refusal), known, _) => {
                let said = crate::engine::Said::Bad { refusal, text: text.to_owned() };
                self.engine.submit_private(known.clone(), actor, said, event).await
            }
        };
        let answer = match result {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(error = %e, interaction = inv.id, "an interaction could not be applied");
                let id = if matches!(e, EngineError::Quarantined) { "store-quarantined" } else { "store-unavailable" };
                let message = Message::new(Kind::Refusal, vec![Line::new(id)]);
                Answer { deliveries: vec![Delivery::Whisper { to: member.clone(), message }] }
            }
        };
        self.answer(inv, &member, answer, community.as_ref()).await;
        // Their latest interaction, now fully answered (a follow-up while a deferred reply
        // still waits would replace it, and could be deleted with it): a private message
        // their closed DMs refuse, for this server, can follow it up.
        if let (Some(g), Ok(mut replies)) = (inv.guild, self.replies.lock()) {
            replies.insert((g, inv.user), (inv.token.clone(), std::time::Instant::now()));
        }
    }

    /// Carries out an answer in order: the sender's private messages as ephemeral
    /// follow-ups, everything else as usual. A slash command's "thinking" reply is
    /// removed when nothing private came back for the sender.
    async fn answer(&self, inv: &Invocation, sender: &MemberRef, answer: Answer, community: Option<&CommunityId>) {
        let mut replied = false;
        for delivery in answer.deliveries {
            match delivery {
                Delivery::Whisper { to, message } if &to == sender => {
                    if self.follow_up(&inv.token, &message, community).await {
                        replied = true;
                    } else if let Some(c) = community {
                        // The interaction's token expired or Discord refused: by DM instead
                        // (whose own failure the core hears of), so care is never lost here.
                        let _ = self.whisper(c, &to, &message).await;
                    }
                }
                other => match community {
                    Some(c) => self.deliver(c, other).await,
                    None => tracing::warn!("a delivery without a known community was dropped"),
                },
            }
        }
        if inv.slash && !replied {
            self.delete_thinking(&inv.token).await;
        }
    }

    /// A member writes to the bot in a DM (often an answer to a reflection card,
    /// which attune never reads back). Like every private line it goes to the
    /// core, in memory, for the community the engine routes the member to (or,
    /// with none, the shipped defaults: a newcomer's cry for help still gets the
    /// resources card), and is never stored. What comes back goes by DM, which
    /// is open: the member just wrote in one.
    async fn handle_direct_message(&self, author: &serenity::User, content: &str, event: String) {
        let Some(member) = self.member(author.id.get()) else { return };
        let community = match self.engine.route_private(&member).await {
            Ok(crate::engine::Route::One(c)) => Some(c),
            _ => None,
        };
        let display = author.global_name.clone().unwrap_or_else(|| author.name.clone());
        // No roles in a DM: moderator rights never come from a private message.
        let actor = Actor::from_facts(member.clone(), display, &Standing::default());
        // A DM (new or edited) is read as private chat: there is no floor in a DM.
        let said = crate::engine::Said::Chat(content.to_owned());
        let answer = match self.engine.submit_private(community.clone(), actor, said, Some(event)).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(error = %e, "a direct message could not be checked");
                return;
            }
        };
        for delivery in answer.deliveries {
            match (&community, delivery) {
                (Some(c), delivery) => self.deliver(c, delivery).await,
                (None, Delivery::Whisper { to, message: answer }) if to == member => {
                    // Guild 0: its buttons name no community, so a press is routed like a DM.
                    let rendered = super::render::render(&self.catalogue, &answer, 0);
                    if let Err(e) = self.dm(author.id.get(), rendered).await {
                        tracing::error!(error = %e, "a private answer without a community could not be sent");
                    }
                }
                (None, _) => tracing::warn!("a delivery without a known community was dropped"),
            }
        }
    }

    /// A message in a channel the bot can read: checked for crisis phrases and the
    /// floor in memory, never stored. Without the Message Content intent the text is
    /// empty, and there is nothing to check.
    async fn handle_message(&self, message: &serenity::Message) {
        if message.webhook_id.is_some() {
            return;
        }
        let written = Written {
            event: format!("message:{}", message.id.get()),
            author: &message.author,
            guild: message.guild_id,
            channel: message.channel_id,
            content: &message.content,
            roles: message.member.as_ref().map(|m| m.roles.iter().map(|r| r.get()).collect()).unwrap_or_default(),
            nick: message.member.as_ref().and_then(|m| m.nick.clone()),
            edited: false,
        };
        self.read_written(written).await;
    }

    /// A message edited after it was sent: read for crisis phrases like a new one
    /// (issue 17), never counted as speaking during someone else's turn. An update
    /// that doesn't change the text (an embed resolved, a pin) carries none, and is
    /// left alone.
    async fn handle_edit(&self, event: &serenity::MessageUpdateEvent) {
        let (Some(author), Some(content)) = (event.author.as_ref(), event.content.as_deref()) else { return };
        if event.webhook_id.is_some_and(|w| w.is_some()) {
            return;
        }
        let member = event.member.as_ref().and_then(|m| m.as_deref());
        // An update without an edit time is not the author's edit (an embed resolved, a pin).
        let Some(at) = event.edited_timestamp else { return };
        let at = at.unix_timestamp() * 1000 + i64::from(at.nanosecond() / 1_000_000);
        let written = Written {
            // Each edit is its own event: a replay of the same edit is one, another edit is new.
            event: format!("edit:{}:{at}", event.id.get()),
            author,
            guild: event.guild_id,
            channel: event.channel_id,
            content,
            roles: member.map(|m| m.roles.iter().map(|r| r.get()).collect()).unwrap_or_default(),
            nick: member.and_then(|m| m.nick.clone()),
            edited: true,
        };
        self.read_written(written).await;
    }

    /// A message or an edit, read in memory and dropped.
    async fn read_written(&self, w: Written<'_>) {
        if w.author.bot || w.content.trim().is_empty() {
            return;
        }
        let Some(guild) = w.guild else {
            self.handle_direct_message(w.author, w.content, w.event).await;
            return;
        };
        let (Ok(community), Ok(channel), Some(member)) = (
            CommunityId::parse(Platform::Discord, &guild.get().to_string()),
            ChannelId::parse(Platform::Discord, &w.channel.get().to_string()),
            self.member(w.author.id.get()),
        ) else {
            return;
        };
        // Where they just wrote is where a private thread can reach them when their DMs are
        // closed (a crisis card for someone who never used a slash command, say).
        if let Ok(mut homes) = self.homes.lock() {
            homes.insert((guild.get(), member.clone()), w.channel.get());
        }
        let display = w.nick.clone().or_else(|| w.author.global_name.clone()).unwrap_or_else(|| w.author.name.clone());
        // A message carries roles but no permissions: Manage Server is what Discord last said.
        let standing = Standing {
            manages: self.support.manages(guild.get(), w.author.id.get()),
            named: self.named(&w.roles),
            power: None,
            host: self.hosts(&w.roles),
        };
        let actor = Actor::from_facts(member, display, &standing);
        let (place, text) = (Place::Channel(channel), w.content.to_owned());
        let input = if w.edited { Input::Edited { actor, place, text } } else { Input::Chat { actor, place, text } };
        // Whatever the message causes goes out through the outlet (a nudge or a card
        // for its author arrives as a DM; there is no interaction to answer).
        if let Err(e) = self.engine.post(&community, input, Some(w.event)).await {
            tracing::error!(error = %e, "a message could not be checked");
        }
    }
}

/// What a member wrote (a new message or an edit), as the adapter reads it.
struct Written<'a> {
    /// The event's key for the engine's replay check.
    event: String,
    author: &'a serenity::User,
    guild: Option<serenity::GuildId>,
    channel: serenity::ChannelId,
    content: &'a str,
    roles: Vec<u64>,
    nick: Option<String>,
    edited: bool,
}

/// Acknowledges an interaction, recording how long Discord took to take the
/// acknowledgement (`attune_discord_ack_seconds`).
pub(super) async fn timed_ack<T>(ack: impl std::future::Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let result = ack.await;
    metrics::histogram!(crate::engine::telemetry::DISCORD_ACK_SECONDS).record(started.elapsed().as_secs_f64());
    result
}
