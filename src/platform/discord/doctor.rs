//! `attune doctor` for Discord, when it can connect (to `discord.api_base`):
//! whether the token is accepted, whether the application has the Message
//! Content intent (and what is lost without it), and which permissions the
//! bot lacks in its servers, each named with what it is needed for. Reads
//! only; sends nothing; never prints the token.

use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::DiscordOptions;
use crate::core::effect::Line;
use crate::text::Catalogue;

/// How long doctor waits for Discord before it says it couldn't reach it.
const WAIT: Duration = Duration::from_secs(10);

/// Every permission attune uses: (the permission, its catalogue line: Discord's
/// name for it and what attune needs it for).
const NEEDED: [(serenity::Permissions, &str); 10] = [
    (serenity::Permissions::VIEW_CHANNEL, "cli-doctor-discord-perm-view"),
    (serenity::Permissions::SEND_MESSAGES, "cli-doctor-discord-perm-send"),
    (serenity::Permissions::EMBED_LINKS, "cli-doctor-discord-perm-embed"),
    (serenity::Permissions::ATTACH_FILES, "cli-doctor-discord-perm-attach"),
    (serenity::Permissions::SEND_MESSAGES_IN_THREADS, "cli-doctor-discord-perm-send-threads"),
    (serenity::Permissions::CREATE_PUBLIC_THREADS, "cli-doctor-discord-perm-public-threads"),
    (serenity::Permissions::CREATE_PRIVATE_THREADS, "cli-doctor-discord-perm-private-threads"),
    (serenity::Permissions::MANAGE_ROLES, "cli-doctor-discord-perm-manage-roles"),
    (serenity::Permissions::MUTE_MEMBERS, "cli-doctor-discord-perm-mute"),
    (serenity::Permissions::MANAGE_EVENTS, "cli-doctor-discord-perm-events"),
];

/// The catalogue lines of the permissions `granted` lacks (Administrator grants all).
pub(super) fn missing(granted: u64) -> Vec<&'static str> {
    let granted = serenity::Permissions::from_bits_truncate(granted);
    if granted.contains(serenity::Permissions::ADMINISTRATOR) {
        return Vec::new();
    }
    // Create Events is enough for the events attune makes itself.
    let granted =
        if granted.contains(serenity::Permissions::CREATE_EVENTS) { granted | serenity::Permissions::MANAGE_EVENTS } else { granted };
    NEEDED.iter().filter(|(p, _)| !granted.contains(*p)).map(|(_, line)| *line).collect()
}

/// Whether an application's flags allow the Message Content intent (fully, or
/// "limited" for unverified bots in under 100 servers).
fn message_content_allowed(flags: u64) -> bool {
    let f = serenity::ApplicationFlags::from_bits_truncate(flags);
    f.intersects(serenity::ApplicationFlags::GATEWAY_MESSAGE_CONTENT | serenity::ApplicationFlags::GATEWAY_MESSAGE_CONTENT_LIMITED)
}

/// Connects and checks. Each returned line is one finding, in plain words.
pub async fn check(options: &DiscordOptions) -> Vec<String> {
    let catalogue = match Catalogue::english() {
        Ok(c) => c,
        Err(e) => return vec![format!("the message catalogue could not be loaded: {e}")],
    };
    let say = |line: Line| catalogue.line(&line);
    let http = super::http_client(options);
    let base = options.section.api_base.clone();
    let me = match tokio::time::timeout(WAIT, http.get_current_user()).await {
        Ok(Ok(me)) => me,
        Ok(Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)))) if r.status_code.as_u16() == 401 => {
            return vec![say(Line::new("cli-doctor-discord-refused").text("base", base))];
        }
        Ok(Err(e)) => return vec![say(Line::new("cli-doctor-discord-unreachable").text("base", base).text("error", e.to_string()))],
        Err(_) => return vec![say(Line::new("cli-doctor-discord-unreachable").text("base", base).text("error", "no answer in 10 s"))],
    };
    let mut out = vec![say(Line::new("cli-doctor-discord-connected").text("base", base).text("name", me.name.clone()))];
    match tokio::time::timeout(WAIT, http.get_current_application_info()).await {
        Ok(Ok(app)) => {
            let allowed = app.flags.is_some_and(|f| message_content_allowed(f.bits()));
            let line = match (options.section.message_content, allowed) {
                (true, true) => "cli-doctor-discord-content-on",
                (true, false) => "cli-doctor-discord-content-missing",
                (false, _) => "cli-doctor-discord-content-off",
            };
            out.push(say(Line::new(line)));
        }
        Ok(Err(e)) => out.push(say(Line::new("cli-doctor-discord-app-unknown").text("error", e.to_string()))),
        Err(_) => out.push(say(Line::new("cli-doctor-discord-app-unknown").text("error", "no answer in 10 s"))),
    }
    let guilds = match tokio::time::timeout(WAIT, http.get_guilds(None, Some(200))).await {
        Ok(Ok(g)) => g,
        Ok(Err(e)) => {
            out.push(say(Line::new("cli-doctor-discord-guilds-unknown").text("error", e.to_string())));
            return out;
        }
        Err(_) => {
            out.push(say(Line::new("cli-doctor-discord-guilds-unknown").text("error", "no answer in 10 s")));
            return out;
        }
    };
    let checked: Vec<&serenity::GuildInfo> = match options.section.dev_guild {
        Some(g) => guilds.iter().filter(|i| i.id.get() == g).collect(),
        None => guilds.iter().collect(),
    };
    if checked.is_empty() {
        let line = match options.section.dev_guild {
            Some(g) => Line::new("cli-doctor-discord-not-in-guild").text("id", g.to_string()),
            None => Line::new("cli-doctor-discord-no-guilds"),
        };
        out.push(say(line));
    }
    for g in checked {
        let lacking = missing(g.permissions.bits());
        let (name, id) = (g.name.clone(), g.id.get().to_string());
        if lacking.is_empty() {
            out.push(say(Line::new("cli-doctor-discord-guild-ok").text("guild", name.clone()).text("id", id)));
        } else {
            let list = lacking.iter().map(|l| say(Line::new(l))).collect::<Vec<_>>().join("; ");
            out.push(say(Line::new("cli-doctor-discord-guild-missing").text("guild", name.clone()).text("id", id).text("missing", list)));
        }
        if let Some(line) = overwrites_line(&http, g, me.id.get()).await {
            out.push(say(line.text("guild", name)));
        }
    }
    out
}

/// Channels where `floor hold` can't change every overwrite: Discord lets a
/// bot allow or deny only permissions it has itself, unless the channel's
/// own overwrites give it Manage Roles. Read, never changed.
async fn overwrites_line(http: &serenity::Http, guild: &serenity::GuildInfo, me: u64) -> Option<Line> {
    let granted = guild.permissions;
    if granted.contains(serenity::Permissions::ADMINISTRATOR) || !granted.contains(serenity::Permissions::MANAGE_ROLES) {
        // Administrator may edit anything; without Manage Roles doctor already said floor hold can't work.
        return None;
    }
    let channels = match tokio::time::timeout(WAIT, http.get_channels(guild.id)).await {
        Ok(Ok(c)) => c,
        _ => return None,
    };
    // attune's own roles: Manage Permissions given to its role in a channel counts too.
    let roles: Vec<u64> = match tokio::time::timeout(WAIT, http.get_member(guild.id, serenity::UserId::new(me))).await {
        Ok(Ok(m)) => m.roles.iter().map(|r| r.get()).collect(),
        _ => Vec::new(),
    };
    let mut names: Vec<String> = channels
        .iter()
        .filter(|c| matches!(c.kind, serenity::ChannelType::Text | serenity::ChannelType::News))
        .filter(|c| !uneditable(&c.permission_overwrites, granted.bits(), guild.id.get(), me, &roles).is_empty())
        .map(|c| format!("#{}", c.name))
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort();
    let shown = if names.len() > 10 { format!("{} and {} more", names[..10].join(", "), names.len() - 10) } else { names.join(", ") };
    Some(Line::new("cli-doctor-discord-overwrites").text("channels", shown))
}

/// The overwrites in a channel floor hold would edit but may not: `@everyone`,
/// a role that allows sending, or a member (any member may speak), carrying a
/// permission the bot lacks; none where the channel gives attune (or one of
/// its roles) Manage Roles.
fn uneditable<'a>(
    overwrites: &'a [serenity::PermissionOverwrite],
    granted: u64,
    guild: u64,
    me: u64,
    roles: &[u64],
) -> Vec<&'a serenity::PermissionOverwrite> {
    let ours = |kind: &serenity::PermissionOverwriteType| match kind {
        serenity::PermissionOverwriteType::Member(u) => u.get() == me,
        serenity::PermissionOverwriteType::Role(r) => roles.contains(&r.get()),
        _ => false,
    };
    if overwrites.iter().any(|o| ours(&o.kind) && o.allow.contains(serenity::Permissions::MANAGE_ROLES)) {
        return Vec::new();
    }
    let edited = |o: &serenity::PermissionOverwrite| match o.kind {
        serenity::PermissionOverwriteType::Role(r) => r.get() == guild || o.allow.contains(serenity::Permissions::SEND_MESSAGES),
        serenity::PermissionOverwriteType::Member(_) => true,
        _ => false,
    };
    overwrites.iter().filter(|o| edited(o) && (o.allow.bits() | o.deny.bits()) & !granted != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_missing_permission_is_named_with_what_it_is_for() {
        let catalogue = Catalogue::english().unwrap();
        let all: u64 = NEEDED.iter().map(|(p, _)| p.bits()).sum();
        assert!(missing(all).is_empty());
        assert!(missing(serenity::Permissions::ADMINISTRATOR.bits()).is_empty(), "Administrator grants everything");
        let without = all & !serenity::Permissions::MUTE_MEMBERS.bits() & !serenity::Permissions::CREATE_PRIVATE_THREADS.bits();
        assert_eq!(missing(without), ["cli-doctor-discord-perm-private-threads", "cli-doctor-discord-perm-mute"]);
        assert_eq!(missing(0).len(), NEEDED.len());
        for (_, line) in NEEDED {
            assert!(catalogue.has(line), "{line}");
        }
    }

    #[test]
    fn message_content_counts_when_full_or_limited() {
        assert!(message_content_allowed(1 << 18) && message_content_allowed(1 << 19));
        assert!(!message_content_allowed(0) && !message_content_allowed(1 << 23));
    }
}
