//! A delivery the platform could not make (DMs closed, user gone, platform
//! error). The adapter falls back where its platform allows; the core undoes
//! what assumed the message arrived and tells whoever can help.

use super::cx::Cx;
use super::effect::{Kind, Line};
use super::ids::{ChannelId, MemberRef};
use super::rng::Rng;

/// What could not be delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failed {
    /// A private message of this kind to this member.
    Whisper { to: MemberRef, kind: Kind },
    /// The page to the moderators that a member asked for with `support`.
    Support { member: MemberRef },
    /// Holding the floor in this channel (the circle's place, or its voice place).
    Floor { channel: ChannelId },
}

/// Why it could not be delivered. Never carries the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The member accepts no private messages from the bot (Discord 50007, no DM room).
    PrivateClosed,
    /// The member or the channel is gone.
    Gone,
    /// The platform refused or failed (permissions, outage) after retries.
    Platform,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PrivateClosed => "private_closed",
            Reason::Gone => "gone",
            Reason::Platform => "platform",
        }
    }
}

pub fn failed(cx: &mut Cx<'_, impl Rng>, what: Failed, reason: Reason) {
    match what {
        Failed::Whisper { to, kind } => {
            if kind == Kind::Crisis {
                // The resources never arrived: the quiet period must not start, so the next
                // matching message offers them again.
                if cx.st.members.get(&to).is_some_and(|m| m.last_signpost.is_some()) {
                    cx.st.member_mut(&to).last_signpost = None;
                }
                cx.st.imminent_at.remove(&to);
            }
            if reason == Reason::PrivateClosed {
                tell_hosts_once(cx, &to);
            }
        }
        Failed::Support { member } => {
            // Nobody was paged, so asking again must page them, not reassure.
            cx.st.support_asked.remove(&member);
            cx.whisper_line(&member, Line::new("support-failed"));
        }
        Failed::Floor { channel } => floor_failed(cx, &channel),
    }
}

/// The hosts of the live circle in (or voice-linked to) `channel` learn, once
/// per circle, that the floor could not be held there. The circle goes on; the
/// core's nudges still reach whoever posts during another's turn.
fn floor_failed(cx: &mut Cx<'_, impl Rng>, channel: &ChannelId) {
    let circle = cx
        .st
        .circles
        .values()
        .find(|c| c.is_live() && (&c.channel == channel || c.voice.as_ref() == Some(channel)))
        .filter(|c| !c.floor_failed)
        .map(|c| (c.id, c.host.clone(), c.cohosts.clone()));
    let Some((id, host, cohosts)) = circle else { return };
    if let Some(c) = cx.circle_mut(id) {
        c.floor_failed = true;
    }
    for h in std::iter::once(host).chain(cohosts) {
        cx.whisper_line(&h, Line::new("host-floor-failed"));
    }
}

/// The hosts of each live circle the member sits in (or asked to join, and
/// whose agreements could not reach them) learn, once per circle, that the
/// member can't receive private messages (agreements, guides, cards, the pulse).
fn tell_hosts_once(cx: &mut Cx<'_, impl Rng>, who: &MemberRef) {
    let member = cx.st.members.get(who);
    let pending = member.and_then(|m| m.pending_join);
    let known_display = member.map(|m| m.display.clone()).filter(|d| !d.is_empty());
    let circles: Vec<_> = cx
        .st
        .circles
        .values()
        .filter(|c| c.is_live() && !c.unreachable.contains(who))
        .filter_map(|c| match c.seats.iter().find(|s| &s.member == who) {
            Some(s) => Some((c.id, s.display.clone(), "host-member-unreachable", c.host.clone(), c.cohosts.clone())),
            None if pending == Some(c.id) => {
                known_display.clone().map(|d| (c.id, d, "host-member-unreachable-joining", c.host.clone(), c.cohosts.clone()))
            }
            None => None,
        })
        .collect();
    for (id, display, line, host, cohosts) in circles {
        if let Some(c) = cx.circle_mut(id) {
            c.unreachable.push(who.clone());
        }
        for h in std::iter::once(host).chain(cohosts).filter(|h| h != who) {
            cx.whisper_line(&h, Line::new(line).text("name", display.clone()));
        }
    }
}
