//! Reaching a moderator, crisis-check choices, my-data, forget-me and the
//! retention purge.

use super::circle::{Circle, Phase};
use super::command::CrisisArg;
use super::cx::Cx;
use super::effect::{Action, Effect, Kind, Line, Message};
use super::ids::{CircleId, MemberRef, Platform};
use super::input::{Actor, TimerKey};
use super::refusal::Refusal;
use super::rng::Rng;

/// `support`: opens a private line to the moderators. No message text travels with it.
pub fn support(cx: &mut Cx<'_, impl Rng>, actor: &Actor) -> Result<(), Refusal> {
    let now = cx.now;
    let recent = cx.st.support_asked.get(&actor.member).is_some_and(|t| now.as_second() - t.as_second() < SUPPORT_REPEAT_SECS);
    if recent {
        // The moderators were asked moments ago; asking again reassures, it doesn't page them again.
        cx.whisper_line(&actor.member, Line::new("support-already"));
        return Ok(());
    }
    cx.st.support_asked.insert(actor.member.clone(), now);
    cx.out.push(Effect::OpenSupport { member: actor.member.clone(), display: actor.display.clone() });
    cx.whisper_line(&actor.member, Line::new("support-opened"));
    Ok(())
}

/// Moderators are paged at most once per this many seconds per member.
const SUPPORT_REPEAT_SECS: i64 = 600;

pub fn crisis(cx: &mut Cx<'_, impl Rng>, actor: &Actor, arg: CrisisArg) -> Result<(), Refusal> {
    match arg {
        // Nothing is recorded: the message that matched was never kept.
        CrisisArg::Wrong => cx.whisper_line(&actor.member, Line::new("crisis-wrong")),
        CrisisArg::Off => {
            cx.st.member_mut(&actor.member).crisis_checks_off = true;
            cx.whisper_line(&actor.member, Line::new("crisis-off"));
        }
        CrisisArg::On => {
            cx.st.member_mut(&actor.member).crisis_checks_off = false;
            cx.whisper_line(&actor.member, Line::new("crisis-on"));
        }
    }
    Ok(())
}

pub fn my_data(cx: &mut Cx<'_, impl Rng>, actor: &Actor) -> Result<(), Refusal> {
    cx.out.push(Effect::ExportData { to: actor.member.clone() });
    Ok(())
}

/// `forget-me` asks for confirmation; `forget-me confirm` deletes.
pub fn forget_me(cx: &mut Cx<'_, impl Rng>, actor: &Actor, confirm: bool) -> Result<(), Refusal> {
    let who = &actor.member;
    if !confirm {
        cx.st.member_mut(who).forget_requested = true;
        let msg = Message::new(Kind::Info, vec![Line::new("forget-ask")]).with_actions(&[Action::ForgetConfirm]);
        cx.whisper(who, msg);
        return Ok(());
    }
    if !cx.st.members.get(who).is_some_and(|m| m.forget_requested) {
        return Err(Refusal::Usage { command: "forget-me", usage: "forget-me first, then forget-me confirm" });
    }
    hand_over(cx, who);
    super::circle::leave_everywhere(cx, who);
    let kept_removal = forget(cx, who);
    // Someone who was just forgotten hears only that: no pulse question from a circle that closed.
    cx.out.retain(|e| !matches!(e, Effect::Whisper { to, .. } if to == who));
    let mut lines = vec![Line::new("forgotten")];
    if kept_removal {
        lines.push(Line::new("forgotten-removal-kept"));
    }
    cx.whisper(who, Message::new(Kind::Info, lines));
    Ok(())
}

/// Every live circle the member opened passes to its first co-host. With none, a gathering
/// circle is cancelled kindly and a running one carries on without a host (see
/// `circle::continue_without_host`). This comes before they leave, so no turn is announced
/// in a circle about to close.
fn hand_over(cx: &mut Cx<'_, impl Rng>, who: &MemberRef) {
    let hosted: Vec<CircleId> = cx.st.circles.values().filter(|c| c.is_live() && &c.host == who).map(|c| c.id).collect();
    for id in hosted {
        let Some(c) = cx.circle_mut(id) else { continue };
        c.cohosts.retain(|m| m != who);
        if c.cohosts.is_empty() {
            super::circle::continue_without_host(cx, id);
        } else {
            let next = c.cohosts.remove(0);
            // The opener wrote the title, and it may carry their name (in the calendar too).
            c.title = None;
            cx.st.set_host(id, next);
            super::circle::list_again(cx, id);
        }
    }
}

/// Who a forgotten member becomes where a record must keep someone (a circle's host, a
/// finished turn): a placeholder no member on any platform can be (see `MemberRef::erased`).
pub fn ghost(platform: Platform) -> MemberRef {
    MemberRef::erased(platform)
}

/// Whether a circle names a member anywhere.
pub fn names(c: &Circle, who: &MemberRef) -> bool {
    &c.host == who
        || c.cohosts.contains(who)
        || c.pulses.contains_key(who)
        || c.log.iter().any(|r| &r.speaker == who)
        || c.seats.iter().chain(c.waitlist.iter()).chain(c.removed.iter()).any(|s| &s.member == who)
        || c.order.contains(who)
        || c.turn.as_ref().is_some_and(|t| t.nudged.contains(who))
}

/// Removes a member from one circle: unseated, pulse kept but unattributed, and replaced
/// by [`ghost`] as host and speaker. The one exception is a host's removal from a live
/// circle, kept without a name until that circle ends; returns whether one was. The store
/// applies the same to circles a running bot has not loaded.
pub fn forget_in(c: &mut Circle, who: &MemberRef) -> bool {
    let ghost = ghost(who.platform());
    let mut kept_removal = false;
    if let Some(score) = c.pulses.remove(who) {
        c.anonymous_pulses.push(score);
    }
    c.unseat(who);
    c.cohosts.retain(|m| m != who);
    if c.is_live() {
        // A host's removal is a safety tool: it holds for this live circle, kept as the
        // member reference alone (no name), and goes when the circle ends.
        for s in c.removed.iter_mut().filter(|s| &s.member == who) {
            s.display.clear();
            kept_removal = true;
        }
    } else {
        c.removed.retain(|s| &s.member != who);
    }
    if let Some(t) = c.turn.as_mut() {
        t.nudged.retain(|m| m != who);
    }
    if &c.host == who {
        c.host = ghost.clone();
        // The opener wrote the title, and it may carry their name.
        c.title = None;
    }
    for r in c.log.iter_mut().filter(|r| &r.speaker == who) {
        r.speaker = ghost.clone();
    }
    kept_removal
}

/// Removes every trace of a member from the state; the store does the same for its rows.
/// Their records keep only a placeholder that no member can be; returns whether a
/// removal from a live circle was kept (see [`forget_in`]).
fn forget(cx: &mut Cx<'_, impl Rng>, who: &MemberRef) -> bool {
    let mut kept_removal = false;
    let touched: Vec<CircleId> = cx.st.circles.values().filter(|c| names(c, who)).map(|c| c.id).collect();
    for id in touched {
        let Some(c) = cx.circle_mut(id) else { continue };
        kept_removal |= forget_in(c, who);
    }
    cx.st.members.remove(who);
    cx.st.buckets.remove(who);
    cx.st.support_asked.remove(who);
    cx.st.dirty.members.remove(who);
    let before = cx.st.community.suggestions.len();
    cx.st.community.suggestions.retain(|s| &s.member != who);
    if cx.st.community.suggestions.len() != before {
        cx.st.dirty.community = true;
    }
    cx.st.dirty.audit.retain(|a| &a.actor != who);
    cx.st.dirty.forgotten.push(who.clone());
    kept_removal
}

/// Ended circles that ended before this are not kept in memory (see [`purge`]); the
/// engine loads no older ones either. Two pulse windows: the pulse needs one, and the
/// second is a margin.
pub fn kept_since(now: jiff::Timestamp) -> jiff::Timestamp {
    super::circle::plus(now, -2 * super::circle::PULSE_WINDOW_SECS)
}

/// Drops ended circles and audit entries older than the retention period, lets go of
/// ended circles a restarted bot wouldn't load, and re-arms itself daily.
pub fn purge(cx: &mut Cx<'_, impl Rng>) {
    let days = i64::from(cx.st.community.settings.retention_days);
    let cutoff = super::circle::plus(cx.now, -days * 86_400);
    let old: Vec<CircleId> = cx
        .st
        .circles
        .values()
        .filter(|c| matches!(c.phase, Phase::Ended | Phase::Cancelled) && c.ended_at.is_some_and(|t| t < cutoff))
        .map(|c| c.id)
        .collect();
    for id in old {
        cx.st.circles.remove(&id);
        cx.st.dirty.circles.insert(id);
    }
    // A running bot keeps in memory what a restarted one loads: live circles and those
    // that ended within the last two pulse windows. Older ones stay on disk, where
    // my-data, forget-me and this purge read them, so nothing needs them in memory.
    let since = kept_since(cx.now);
    cx.st.circles.retain(|_, c| c.is_live() || c.ended_at.is_none_or(|t| t >= since));
    cx.st.prune_indexes();
    let stale: Vec<MemberRef> = cx
        .st
        .members
        .iter()
        .filter(|(_, m)| m.pending_pulse.is_some_and(|id| !cx.st.circles.contains_key(&id)))
        .map(|(k, _)| k.clone())
        .collect();
    for m in stale {
        cx.st.member_mut(&m).pending_pulse = None;
    }
    cx.st.dirty.purge_audit_before = Some(cutoff);
    let at = super::circle::plus(cx.now, 86_400);
    cx.out.push(Effect::Schedule { key: TimerKey::Purge, at, generation: 0 });
}
