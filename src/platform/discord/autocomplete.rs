//! Autocomplete (APPLICATION_COMMAND_AUTOCOMPLETE, answered with response
//! type 8): while someone types an option, Discord asks for choices. Deck
//! names, card ids, templates and practices come from the community's state
//! through the engine ([`crate::core::names`]); themes and intensities are the
//! core's fixed words, and so are template and settings keys. Host tools
//! offer the members seated in the channel's circle, shown by name and sent
//! as their mention (which the core resolves exactly); typing a name without
//! choosing still works, as on the console. Answers are names only, never
//! anything a member wrote, and an answer that can't be had is an empty list.

use std::sync::Arc;

use poise::serenity_prelude as serenity;

use super::{Error, Shared};
use crate::core::deck::Theme;
use crate::core::ids::{ChannelId, CommunityId, Platform};
use crate::core::names::Names;

type Ctx<'a> = poise::Context<'a, Arc<Shared>, Error>;

/// How long the names may take, well inside Discord's 3 s.
const WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Discord shows at most 25 choices.
const MOST: usize = 25;

fn choices(names: impl IntoIterator<Item = String>) -> serenity::CreateAutocompleteResponse {
    labelled(names.into_iter().map(|n| (n.clone(), n)))
}

/// Choices shown as one thing and sent as another (a member's name, sent as their mention).
fn labelled(names: impl IntoIterator<Item = (String, String)>) -> serenity::CreateAutocompleteResponse {
    // A choice's name and value are at most 100 characters: a long name is cut, a value never.
    let list = names
        .into_iter()
        .filter(|(_, value)| value.chars().count() <= 100)
        .take(MOST)
        .map(|(label, value)| serenity::AutocompleteChoice::new(label.chars().take(100).collect::<String>(), value))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(list)
}

async fn from_state(ctx: Ctx<'_>, what: &[Names], partial: &str) -> serenity::CreateAutocompleteResponse {
    let Some(community) = ctx.guild_id().and_then(|g| CommunityId::parse(Platform::Discord, &g.get().to_string()).ok()) else {
        return choices(Vec::new());
    };
    let engine = &ctx.data().engine;
    let gather = async {
        let mut all = Vec::new();
        for w in what {
            match engine.names(&community, w.clone(), partial, MOST).await {
                Ok(names) => all.extend(names),
                Err(e) => tracing::debug!(error = %e, "no names for autocomplete"),
            }
        }
        all
    };
    // An autocomplete can't be deferred: a busy community answers nothing rather than late.
    let all = tokio::time::timeout(WAIT, gather).await.unwrap_or_else(|_| {
        tracing::debug!("no names for autocomplete in time");
        Vec::new()
    });
    // A member is sent as their mention, which host tools resolve exactly; the rest as shown.
    labelled(all.into_iter().map(|n| {
        let value = n.user.as_ref().map_or_else(|| n.label.clone(), |u| format!("<@{u}>"));
        (n.label, value)
    }))
}

/// The members seated in the circle of the channel the command is typed in (host tools).
pub(super) async fn seated(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Ok(channel) = ChannelId::parse(Platform::Discord, &ctx.channel_id().get().to_string()) else {
        return choices(Vec::new());
    };
    from_state(ctx, &[Names::Seated(channel)], partial).await
}

pub(super) async fn decks(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    from_state(ctx, &[Names::Decks], partial).await
}

pub(super) async fn cards(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    from_state(ctx, &[Names::Cards], partial).await
}

pub(super) async fn decks_and_cards(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    from_state(ctx, &[Names::Decks, Names::Cards], partial).await
}

pub(super) async fn templates(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    from_state(ctx, &[Names::Templates], partial).await
}

pub(super) async fn practices(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    from_state(ctx, &[Names::Practices], partial).await
}

/// The words of one of the core's lists ("a, b, c") that start with what was typed.
fn listed(list: &str, partial: &str) -> serenity::CreateAutocompleteResponse {
    let typed = partial.trim().to_lowercase();
    choices(list.split(", ").filter(|k| k.starts_with(&typed)).map(str::to_owned))
}

/// `template set`'s keys, the core's own list.
pub(super) async fn template_keys(_ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    listed(crate::core::template::TEMPLATE_KEYS, partial)
}

/// `settings set`'s keys, the core's own list.
pub(super) async fn setting_keys(_ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    listed(crate::core::state::SETTING_KEYS, partial)
}

/// `reflect`'s choice: a theme, or an intensity.
pub(super) async fn themes(_ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    choices(theme_words(partial))
}

fn theme_words(partial: &str) -> Vec<String> {
    let typed = partial.trim().to_lowercase();
    Theme::ALL.iter().map(|t| t.as_str()).chain(["light", "medium", "deep"]).filter(|w| w.starts_with(&typed)).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn themes_and_intensities_are_offered_by_what_is_typed() {
        assert_eq!(super::theme_words("").len(), 11);
        assert_eq!(super::theme_words("RE"), ["relationships", "rest"]);
        assert_eq!(super::theme_words("deep"), ["deep"]);
    }
}
