//! `help`: lists what the asker may use where they are.

use super::cx::Cx;
use super::effect::{Kind, Line, Message};
use super::input::{Actor, Place};
use super::rng::Rng;

pub fn help(cx: &mut Cx<'_, impl Rng>, actor: &Actor, place: &Place) {
    let mut lines = vec![Line::new("help-head")];
    let circle = match place {
        Place::Channel(ch) => cx.st.circle_in(ch).and_then(|id| cx.st.circles.get(&id)),
        Place::Private => None,
    };
    match circle {
        None if matches!(place, Place::Channel(_)) => lines.push(Line::new("help-no-circle")),
        None => {}
        Some(c) => {
            lines.push(Line::new("help-circle"));
            if c.turn.as_ref().is_some_and(|t| t.speaker == actor.member) {
                lines.push(Line::new("help-speaker"));
            }
            if c.is_host(&actor.member) || actor.moderator {
                lines.push(Line::new("help-host"));
            }
        }
    }
    lines.push(Line::new("help-private"));
    lines.push(Line::new("help-data"));
    if actor.moderator {
        lines.push(Line::new("help-moderator"));
        lines.push(Line::new("help-dashboard"));
        if matches!(place, Place::Channel(_)) && actor.member.platform().can_leave_place() {
            lines.push(Line::new("help-leave-room"));
        }
    }
    lines.push(Line::new("help-not-crisis"));
    cx.whisper(&actor.member, Message::new(Kind::Info, lines));
}
