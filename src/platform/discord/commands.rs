//! The slash commands. Each builds the core's typed `Command` from its
//! options (`typed.rs`, pure and tested against the console's parser) and
//! submits it after an ephemeral acknowledgement; no line of text is made
//! and parsed again, so an option means what it says whatever its words (a
//! title that begins with a template's name, a member's name with spaces, a
//! deck called `mine confirm`). Discord checks the options' shape, the core
//! checks everything else. Host tools take a member of the circle, offered
//! by autocomplete and sent as their mention (`<@id>`, which the core
//! resolves exactly), or a typed name.
//!
//! Moderator commands (`/deck`, `/template`, `/settings`, `/suggestions`,
//! `/resources-set`) are hidden from members by default permissions (Manage
//! Server), and the core still checks who may use them.

use std::sync::{Arc, OnceLock};

use poise::serenity_prelude as serenity;

use super::autocomplete as ac;
use super::events::Invocation;
use super::modals::Form;
use super::typed::{self, CrisisChoice, ModeChoice};
use super::{Error, Shared};
use crate::core::Refusal;
use crate::core::command::{CircleCmd, Command, DeckCmd, TemplateCmd};
use crate::core::effect::Line;

type Ctx<'a> = poise::Context<'a, Arc<Shared>, Error>;

/// The poise framework with every command, `allowed_mentions` empty, and the
/// setup that registers the commands once the gateway is ready.
pub(super) fn framework(cell: Arc<OnceLock<Arc<Shared>>>, dev_guild: Option<u64>) -> poise::Framework<Arc<Shared>, Error> {
    let options = poise::FrameworkOptions {
        commands: all(),
        // poise's default lets replies ping users; attune pings nobody, ever.
        allowed_mentions: Some(serenity::CreateAllowedMentions::new()),
        on_error: |error| Box::pin(on_error(error)),
        event_handler: |framework, event| Box::pin(super::events::on_event(framework.serenity_context, event, framework.user_data)),
        ..Default::default()
    };
    poise::Framework::builder()
        .options(options)
        // Owners mean nothing to attune (moderators come from the guild), so poise needn't ask.
        .initialize_owners(false)
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                let Some(shared) = cell.get().cloned() else {
                    return Err("the adapter's state was not ready".into());
                };
                let commands = &framework.options().commands;
                // A failed registration is logged, never fatal: commands registered
                // before still work, and buttons do not depend on it.
                let registered = match dev_guild {
                    Some(g) => poise::builtins::register_in_guild(&ctx.http, commands, serenity::GuildId::new(g)).await,
                    None => poise::builtins::register_globally(&ctx.http, commands).await,
                };
                match registered {
                    Ok(()) => tracing::info!(commands = commands.len(), guild = ?dev_guild, "slash commands registered"),
                    Err(e) => tracing::error!(error = %e, "the slash commands could not be registered"),
                }
                Ok(shared)
            })
        })
        .build()
}

/// Every interaction poise could not run still reaches the core and is
/// answered: an unknown command name (a stale registration), an option Discord
/// sent in a shape poise couldn't read, or any other framework refusal becomes
/// a `BadCommand`, acknowledged first so Discord never shows "This interaction
/// failed", and its typed words are read for crisis phrases like any line.
/// Nothing a member typed is logged.
async fn on_error(error: poise::FrameworkError<'_, Arc<Shared>, Error>) {
    use poise::FrameworkError as F;
    match error {
        F::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, error = %error, "a Discord command failed");
        }
        F::UnknownInteraction { framework, interaction, .. } => {
            let refusal = crate::core::Refusal::UnknownCommand { given: interaction.data.name.clone() };
            refuse(&framework.serenity_context.http, framework.user_data, interaction, refusal).await;
        }
        F::CommandStructureMismatch { ctx, .. } => {
            refuse(&ctx.serenity_context().http, ctx.data(), ctx.interaction, crate::core::Refusal::OptionUnreadable).await;
        }
        other => match other.ctx() {
            Some(poise::Context::Application(app)) => {
                refuse(&app.serenity_context().http, app.data(), app.interaction, crate::core::Refusal::OptionUnreadable).await;
            }
            _ => tracing::warn!("a Discord framework error came without an interaction; nothing to answer"),
        },
    }
}

/// Acknowledges an interaction privately and hands the core a command it
/// couldn't run, with the words typed into its options.
async fn refuse(http: &serenity::Http, shared: &Arc<Shared>, interaction: &serenity::CommandInteraction, refusal: crate::core::Refusal) {
    if let Err(e) = super::events::timed_ack(interaction.defer_ephemeral(http)).await {
        tracing::error!(error = %e, "an interaction poise couldn't run could not be acknowledged");
        return;
    }
    let words = typed_words(&interaction.data.options);
    shared.submit(&Invocation::from_command(interaction), Err(refusal), &words, None).await;
}

/// The words a member typed into a command's options (nested subcommands too).
fn typed_words(options: &[serenity::CommandDataOption]) -> String {
    let mut words = Vec::new();
    for o in options {
        match &o.value {
            serenity::CommandDataOptionValue::String(s) => words.push(s.clone()),
            serenity::CommandDataOptionValue::SubCommand(inner) | serenity::CommandDataOptionValue::SubCommandGroup(inner) => {
                words.push(typed_words(inner));
            }
            _ => {}
        }
    }
    words.join(" ")
}

fn all() -> Vec<poise::Command<Arc<Shared>, Error>> {
    vec![
        help(),
        circle(),
        agree(),
        done(),
        pass(),
        extend(),
        away(),
        back(),
        hand(),
        card(),
        mode(),
        pulse(),
        reflect(),
        practice(),
        next(),
        daily(),
        quiet(),
        timezone(),
        support(),
        resources(),
        my_data(),
        forget_me(),
        suggest(),
        crisis(),
        deck(),
        template(),
        settings(),
        suggestions(),
        resources_set(),
        dashboard(),
    ]
}

/// Acknowledges the interaction at once, then hands the command its options
/// made to the engine.
async fn run(ctx: Ctx<'_>, command: Result<Command, Refusal>) -> Result<(), Error> {
    let poise::Context::Application(app) = ctx else { return Ok(()) };
    let invocation = Invocation::from_command(app.interaction);
    // Discord forgets an interaction that isn't answered within 3 seconds; the
    // engine is usually much faster, but a busy database must not cost the answer.
    super::events::timed_ack(app.interaction.defer_ephemeral(&ctx.serenity_context().http)).await?;
    // A refused command's words are read for crisis phrases like a refused line.
    let words = if command.is_err() { typed_words(&app.interaction.data.options) } else { String::new() };
    ctx.data().submit(&invocation, command, &words, None).await;
    Ok(())
}

/// A private link to the moderator page (moderators)
#[poise::command(slash_command)]
async fn dashboard(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Dashboard)).await
}

/// What attune can do here, for you
#[poise::command(slash_command)]
async fn help(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Help)).await
}

/// Witnessing circles: open, join, leave, and the host's tools
#[poise::command(
    slash_command,
    subcommands(
        "circle_open",
        "circle_join",
        "circle_leave",
        "circle_start",
        "circle_status",
        "circle_schedule",
        "circle_pause",
        "circle_resume",
        "circle_next",
        "circle_move",
        "circle_remove",
        "circle_readmit",
        "circle_cohost",
        "circle_end"
    ),
    subcommand_required
)]
async fn circle(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Where a new circle runs.
#[derive(Clone, Copy, Debug, poise::ChoiceParameter)]
enum Place {
    #[name = "a thread of its own"]
    Thread,
    #[name = "this channel"]
    Channel,
}

/// Open a witnessing circle here
#[poise::command(slash_command, rename = "open")]
async fn circle_open(
    ctx: Ctx<'_>,
    #[description = "A template name (optional)"]
    #[autocomplete = "ac::templates"]
    template: Option<String>,
    #[description = "A title for the circle (optional)"]
    #[max_length = 80]
    title: Option<String>,
    #[rename = "in"]
    #[description = "Run it in a thread of its own (default) or in this channel"]
    place: Option<Place>,
    #[description = "A voice channel to link (with floor hold, listeners are muted while someone speaks)"]
    #[channel_types("Voice", "Stage")]
    voice: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    // Where it runs is the core's to decide from what the host chose; Discord carries it out.
    let here = matches!(place, Some(Place::Channel));
    let voice = voice.and_then(|v| crate::core::ids::ChannelId::parse(crate::core::ids::Platform::Discord, &v.get().to_string()).ok());
    run(ctx, Ok(typed::circle_open(template, title, here, voice))).await
}

/// Join the circle in this channel
#[poise::command(slash_command, rename = "join")]
async fn circle_join(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::Join))).await
}

/// Leave the circle in this channel (quietly)
#[poise::command(slash_command, rename = "leave")]
async fn circle_leave(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::Leave))).await
}

/// Start the circle now (hosts)
#[poise::command(slash_command, rename = "start")]
async fn circle_start(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::Start))).await
}

/// Where the circle is, and who speaks when
#[poise::command(slash_command, rename = "status")]
async fn circle_status(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::Status))).await
}

/// Schedule the circle's start (hosts)
#[poise::command(slash_command, rename = "schedule")]
async fn circle_schedule(ctx: Ctx<'_>, #[description = "HH:MM, in 30m, or YYYY-MM-DD HH:MM"] when: String) -> Result<(), Error> {
    run(ctx, Ok(typed::circle_schedule(&when))).await
}

/// Pause the circle (hosts)
#[poise::command(slash_command, rename = "pause")]
async fn circle_pause(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::Pause))).await
}

/// Resume a paused circle (hosts)
#[poise::command(slash_command, rename = "resume")]
async fn circle_resume(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::Resume))).await
}

/// Move on to the next speaker (hosts)
#[poise::command(slash_command, rename = "next")]
async fn circle_next(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::Next))).await
}

/// Move a member in the speaking order (hosts)
#[poise::command(slash_command, rename = "move")]
async fn circle_move(
    ctx: Ctx<'_>,
    #[description = "Who to move (a member of this circle)"]
    #[autocomplete = "ac::seated"]
    member: String,
    #[description = "Their new place (1 = next to speak)"]
    #[min = 1]
    #[max = 50] // a circle seats at most 50 (template `max`)
    position: u32,
) -> Result<(), Error> {
    run(ctx, Ok(typed::circle_move(&member, position))).await
}

/// Remove a member from the circle (hosts)
#[poise::command(slash_command, rename = "remove")]
async fn circle_remove(
    ctx: Ctx<'_>,
    #[description = "Who to remove (a member of this circle)"]
    #[autocomplete = "ac::seated"]
    member: String,
) -> Result<(), Error> {
    run(ctx, Ok(typed::circle_remove(&member))).await
}

/// Let a removed member join again (hosts)
#[poise::command(slash_command, rename = "readmit")]
async fn circle_readmit(ctx: Ctx<'_>, #[description = "Who may join again"] member: serenity::User) -> Result<(), Error> {
    run(ctx, Ok(typed::circle_readmit(member.id.get()))).await
}

/// Make a member a co-host, or stop them being one (hosts)
#[poise::command(slash_command, rename = "cohost")]
async fn circle_cohost(
    ctx: Ctx<'_>,
    #[description = "Who (a member of this circle)"]
    #[autocomplete = "ac::seated"]
    member: String,
    #[description = "On (default) or off"] on: Option<bool>,
) -> Result<(), Error> {
    run(ctx, Ok(typed::circle_cohost(&member, on))).await
}

/// End the circle (hosts)
#[poise::command(slash_command, rename = "end")]
async fn circle_end(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Circle(CircleCmd::End))).await
}

/// Agree to the circle's agreements and join
#[poise::command(slash_command)]
async fn agree(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Agree)).await
}

/// End your turn
#[poise::command(slash_command)]
async fn done(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Done)).await
}

/// Pass, now or when your turn comes, without giving a reason
#[poise::command(slash_command)]
async fn pass(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Pass)).await
}

/// Take a little more time, once per turn
#[poise::command(slash_command)]
async fn extend(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Extend)).await
}

/// Step away for a while; your place is kept
#[poise::command(slash_command)]
async fn away(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Away)).await
}

/// Come back after stepping away
#[poise::command(slash_command)]
async fn back(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Back)).await
}

/// Raise your hand to speak
#[poise::command(slash_command)]
async fn hand(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Hand)).await
}

/// Another card for your turn
#[poise::command(slash_command)]
async fn card(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Card)).await
}

/// What comes back after your turn: witness, reflections or feelings
#[poise::command(slash_command)]
async fn mode(ctx: Ctx<'_>, #[description = "What listeners may say back"] mode: ModeChoice) -> Result<(), Error> {
    run(ctx, Ok(typed::mode(mode))).await
}

/// Did you feel heard? 1 (not at all) to 5 (fully); private
#[poise::command(slash_command)]
async fn pulse(
    ctx: Ctx<'_>,
    #[description = "1 to 5"]
    #[min = 1]
    #[max = 5]
    answer: u8,
) -> Result<(), Error> {
    run(ctx, typed::pulse(answer)).await
}

/// A private self-reflection card
#[poise::command(slash_command)]
async fn reflect(
    ctx: Ctx<'_>,
    #[description = "A theme (emotions, body, needs, …) or light, medium, deep"]
    #[autocomplete = "ac::themes"]
    theme: Option<String>,
) -> Result<(), Error> {
    run(ctx, typed::reflect(theme.as_deref())).await
}

/// A short guided practice, step by step
#[poise::command(slash_command)]
async fn practice(
    ctx: Ctx<'_>,
    #[description = "Which practice (optional)"]
    #[autocomplete = "ac::practices"]
    name: Option<String>,
) -> Result<(), Error> {
    run(ctx, Ok(typed::practice(name.as_deref()))).await
}

/// The next step of your practice, or the card behind a content note
#[poise::command(slash_command)]
async fn next(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Next)).await
}

/// A daily reflection card at a time you choose
#[poise::command(slash_command)]
async fn daily(ctx: Ctx<'_>, #[description = "HH:MM, off, pause or resume"] when: String) -> Result<(), Error> {
    run(ctx, typed::daily(&when)).await
}

/// Quiet hours: no daily card then
#[poise::command(slash_command)]
async fn quiet(ctx: Ctx<'_>, #[description = "HH:MM-HH:MM or off"] hours: String) -> Result<(), Error> {
    run(ctx, typed::quiet(&hours)).await
}

/// Your time zone
#[poise::command(slash_command)]
async fn timezone(ctx: Ctx<'_>, #[description = "Area/City, e.g. Europe/Lisbon"] zone: String) -> Result<(), Error> {
    run(ctx, typed::timezone(&zone)).await
}

/// Reach a moderator privately
#[poise::command(slash_command)]
async fn support(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Support)).await
}

/// Crisis resources and helplines, privately
#[poise::command(slash_command)]
async fn resources(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::ResourcesShow)).await
}

/// Everything attune stores about you, as a file
#[poise::command(slash_command, rename = "my-data")]
async fn my_data(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::MyData)).await
}

/// Ask attune to forget you (asks you to confirm)
#[poise::command(slash_command, rename = "forget-me")]
async fn forget_me(ctx: Ctx<'_>, #[description = "Yes, forget me now"] confirm: Option<bool>) -> Result<(), Error> {
    run(ctx, Ok(typed::forget_me(confirm))).await
}

/// Suggest a self-reflection card to the moderators (a form opens without text)
#[poise::command(slash_command)]
async fn suggest(
    ctx: Ctx<'_>,
    #[description = "The card's text (or leave it out and type it in a form)"]
    #[max_length = 400]
    text: Option<String>,
) -> Result<(), Error> {
    match text {
        Some(text) => run(ctx, typed::suggest(&text)).await,
        None => open_form(ctx, Form::Suggest, false).await,
    }
}

/// Crisis signposting: say it was wrong, or turn the check off or on
#[poise::command(slash_command)]
async fn crisis(ctx: Ctx<'_>, #[description = "What to do"] what: CrisisChoice) -> Result<(), Error> {
    run(ctx, Ok(typed::crisis(what))).await
}

/// Decks and cards (moderators): list, show, new, add, edit, remove, enable, disable, export
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "deck_list",
        "deck_show",
        "deck_new",
        "deck_add",
        "deck_edit",
        "deck_remove",
        "deck_enable",
        "deck_disable",
        "deck_import",
        "deck_export"
    ),
    subcommand_required
)]
async fn deck(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Every deck, with its cards and practices (moderators)
#[poise::command(slash_command, rename = "list", default_member_permissions = "MANAGE_GUILD")]
async fn deck_list(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Deck(DeckCmd::List))).await
}

/// A deck's cards, or one card in full (moderators)
#[poise::command(slash_command, rename = "show", default_member_permissions = "MANAGE_GUILD")]
async fn deck_show(
    ctx: Ctx<'_>,
    #[description = "A deck name or a card id"]
    #[autocomplete = "ac::decks_and_cards"]
    name: String,
) -> Result<(), Error> {
    run(ctx, Ok(typed::deck_named(DeckCmd::Show, &name))).await
}

/// Create a deck of your community's own (moderators)
#[poise::command(slash_command, rename = "new", default_member_permissions = "MANAGE_GUILD")]
async fn deck_new(
    ctx: Ctx<'_>,
    #[description = "A short name: lowercase letters, digits and dashes"] name: String,
    #[description = "A title (optional)"]
    #[max_length = 80]
    title: Option<String>,
) -> Result<(), Error> {
    run(ctx, Ok(typed::deck_new(&name, title.as_deref()))).await
}

/// What kind of card
#[derive(Clone, Copy, Debug, poise::ChoiceParameter)]
enum KindChoice {
    #[name = "check-in"]
    CheckIn,
    #[name = "sharing"]
    Sharing,
    #[name = "closing"]
    Closing,
    #[name = "listener-guide"]
    ListenerGuide,
    #[name = "self-reflection"]
    SelfReflection,
}

/// How deep a card goes
#[derive(Clone, Copy, Debug, poise::ChoiceParameter)]
enum IntensityChoice {
    #[name = "light"]
    Light,
    #[name = "medium"]
    Medium,
    #[name = "deep"]
    Deep,
}

/// A card's theme
#[derive(Clone, Copy, Debug, poise::ChoiceParameter)]
enum ThemeChoice {
    #[name = "emotions"]
    Emotions,
    #[name = "body"]
    Body,
    #[name = "needs"]
    Needs,
    #[name = "inner-voice"]
    InnerVoice,
    #[name = "self-respect"]
    SelfRespect,
    #[name = "presence"]
    Presence,
    #[name = "relationships"]
    Relationships,
    #[name = "rest"]
    Rest,
}

/// Which part of a card to change
#[derive(Clone, Copy, Debug, poise::ChoiceParameter)]
enum FieldChoice {
    #[name = "text"]
    Text,
    #[name = "listener guide"]
    Guide,
    #[name = "theme"]
    Theme,
    #[name = "intensity"]
    Intensity,
    #[name = "content notes"]
    Cw,
}

/// Add a card to a deck; its text is typed in a form (moderators)
#[poise::command(slash_command, rename = "add", default_member_permissions = "MANAGE_GUILD")]
async fn deck_add(
    ctx: Ctx<'_>,
    #[description = "The deck"]
    #[autocomplete = "ac::decks"]
    deck: String,
    #[description = "What kind of card"] kind: KindChoice,
    #[description = "Its theme"] theme: ThemeChoice,
    #[description = "How deep it goes"] intensity: IntensityChoice,
) -> Result<(), Error> {
    let form = Form::Add { deck, kind: kind as usize, theme: theme as usize, intensity: intensity as usize };
    open_form(ctx, form, true).await
}

/// Change one part of a card; the new value is typed in a form (moderators)
#[poise::command(slash_command, rename = "edit", default_member_permissions = "MANAGE_GUILD")]
async fn deck_edit(
    ctx: Ctx<'_>,
    #[description = "The card's id"]
    #[autocomplete = "ac::cards"]
    card: String,
    #[description = "What to change"] field: FieldChoice,
) -> Result<(), Error> {
    open_form(ctx, Form::Edit { card, field: field as usize }, true).await
}

/// Remove a card, or a whole deck (moderators)
#[poise::command(slash_command, rename = "remove", default_member_permissions = "MANAGE_GUILD")]
async fn deck_remove(
    ctx: Ctx<'_>,
    #[description = "A card id or a deck name"]
    #[autocomplete = "ac::decks_and_cards"]
    name: String,
    #[description = "Yes, remove the whole deck"] confirm: Option<bool>,
) -> Result<(), Error> {
    run(ctx, Ok(typed::deck_remove(&name, confirm))).await
}

/// Use a deck or a card again (moderators)
#[poise::command(slash_command, rename = "enable", default_member_permissions = "MANAGE_GUILD")]
async fn deck_enable(
    ctx: Ctx<'_>,
    #[description = "A deck name or a card id"]
    #[autocomplete = "ac::decks_and_cards"]
    name: String,
) -> Result<(), Error> {
    run(ctx, Ok(typed::deck_named(DeckCmd::Enable, &name))).await
}

/// Stop using a deck or a card, without removing it (moderators)
#[poise::command(slash_command, rename = "disable", default_member_permissions = "MANAGE_GUILD")]
async fn deck_disable(
    ctx: Ctx<'_>,
    #[description = "A deck name or a card id"]
    #[autocomplete = "ac::decks_and_cards"]
    name: String,
) -> Result<(), Error> {
    run(ctx, Ok(typed::deck_named(DeckCmd::Disable, &name))).await
}

/// The largest deck file attune reads (the shipped decks are a few KiB).
const MAX_DECK_FILE: u32 = 512 * 1024;

/// Import a deck from a file, replacing a deck of the same name (moderators)
#[poise::command(slash_command, rename = "import", default_member_permissions = "MANAGE_GUILD")]
async fn deck_import(
    ctx: Ctx<'_>,
    #[description = "A deck file (.toml), as /deck export makes"] file: serenity::Attachment,
) -> Result<(), Error> {
    let poise::Context::Application(app) = ctx else { return Ok(()) };
    let invocation = Invocation::from_command(app.interaction);
    // Downloading may take a moment: acknowledge first.
    super::events::timed_ack(app.interaction.defer_ephemeral(&ctx.serenity_context().http)).await?;
    let shared = ctx.data();
    // Nothing is downloaded for someone Discord doesn't show as a moderator: the core
    // refuses them (it checks rights first). A file too large or unreadable reaches the
    // core as no content, and the core says it couldn't be read.
    let moderator = shared.actor(&invocation).is_some_and(|a| a.moderator);
    let content = if moderator && file.size <= MAX_DECK_FILE {
        match file.download().await {
            Ok(bytes) => String::from_utf8(bytes).ok(),
            Err(e) => {
                tracing::warn!(error = %e, "a deck file could not be downloaded");
                None
            }
        }
    } else {
        None
    };
    let command = Command::Deck(DeckCmd::Import { source: file.filename.clone(), content });
    shared.submit(&invocation, Ok(command), "", None).await;
    Ok(())
}

/// A deck as a file (moderators)
#[poise::command(slash_command, rename = "export", default_member_permissions = "MANAGE_GUILD")]
async fn deck_export(
    ctx: Ctx<'_>,
    #[description = "The deck"]
    #[autocomplete = "ac::decks"]
    deck: String,
) -> Result<(), Error> {
    run(ctx, Ok(typed::deck_named(DeckCmd::Export, &deck))).await
}

/// Opens a form (Discord's modal). The form's submit is the command (`events.rs`).
/// A form for moderators is not opened for someone Discord doesn't show as one:
/// the command goes to the core as it is, and the core answers (it checks rights
/// first), so nobody types a card for nothing. A form whose choices can't fit its
/// custom id goes the same way, and the core names what is wrong.
async fn open_form(ctx: Ctx<'_>, form: Form, moderators: bool) -> Result<(), Error> {
    let poise::Context::Application(app) = ctx else { return Ok(()) };
    let invocation = Invocation::from_command(app.interaction);
    let shared = ctx.data();
    let moderator = shared.actor(&invocation).is_some_and(|a| a.moderator);
    let id = form.encode().filter(|_| moderator || !moderators);
    let Some(id) = id else {
        super::events::timed_ack(app.interaction.defer_ephemeral(&ctx.serenity_context().http)).await?;
        shared.submit(&invocation, Ok(form.command(|_| None)), "", None).await;
        return Ok(());
    };
    let title = shared.catalogue.line(&Line::new(form.title_id()));
    let rows = form
        .inputs()
        .into_iter()
        .map(|(input, label, required)| {
            let label = shared.catalogue.line(&Line::new(label));
            // Every form is about a card: what is typed may be as long as a card may be,
            // so Discord stops the typing there rather than the core refusing it after.
            let max = u16::try_from(crate::core::textcheck::TextUse::Card.max_chars()).unwrap_or(u16::MAX);
            let text = serenity::CreateInputText::new(serenity::InputTextStyle::Paragraph, label, input).required(required).max_length(max);
            serenity::CreateActionRow::InputText(text)
        })
        .collect();
    let modal = serenity::CreateModal::new(id, title).components(rows);
    app.interaction.create_response(&ctx.serenity_context().http, serenity::CreateInteractionResponse::Modal(modal)).await?;
    Ok(())
}

/// Circle templates (moderators): list, show, new, set
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("template_list", "template_show", "template_new", "template_set"),
    subcommand_required
)]
async fn template(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Every circle template (moderators)
#[poise::command(slash_command, rename = "list", default_member_permissions = "MANAGE_GUILD")]
async fn template_list(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Template(TemplateCmd::List))).await
}

/// A template's settings (moderators)
#[poise::command(slash_command, rename = "show", default_member_permissions = "MANAGE_GUILD")]
async fn template_show(
    ctx: Ctx<'_>,
    #[description = "The template"]
    #[autocomplete = "ac::templates"]
    name: String,
) -> Result<(), Error> {
    run(ctx, typed::template_show(&name)).await
}

/// A new template, starting from the standard one (moderators)
#[poise::command(slash_command, rename = "new", default_member_permissions = "MANAGE_GUILD")]
async fn template_new(ctx: Ctx<'_>, #[description = "A short name, one word"] name: String) -> Result<(), Error> {
    run(ctx, typed::template_new(&name)).await
}

/// Change one setting of a template (moderators)
#[poise::command(slash_command, rename = "set", default_member_permissions = "MANAGE_GUILD")]
async fn template_set(
    ctx: Ctx<'_>,
    #[description = "The template"]
    #[autocomplete = "ac::templates"]
    name: String,
    #[description = "The setting: turn, rounds, mode, floor, …"]
    #[autocomplete = "ac::template_keys"]
    key: String,
    #[description = "Its new value"] value: String,
) -> Result<(), Error> {
    run(ctx, typed::template_set(&name, &key, &value)).await
}

/// Community settings (moderators): show, or set one
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("settings_show", "settings_set"),
    subcommand_required
)]
async fn settings(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// This community's settings (moderators)
#[poise::command(slash_command, rename = "show", default_member_permissions = "MANAGE_GUILD")]
async fn settings_show(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Settings(None))).await
}

/// Change one setting (moderators)
#[poise::command(slash_command, rename = "set", default_member_permissions = "MANAGE_GUILD")]
async fn settings_set(
    ctx: Ctx<'_>,
    #[description = "The setting: timezone, retention-days, default-template, …"]
    #[autocomplete = "ac::setting_keys"]
    key: String,
    #[description = "Its new value"] value: String,
) -> Result<(), Error> {
    run(ctx, typed::settings_set(&key, &value)).await
}

/// Suggested cards (moderators): list, approve, decline
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("suggestions_list", "suggestions_approve", "suggestions_decline"),
    subcommand_required
)]
async fn suggestions(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// The cards members have suggested (moderators)
#[poise::command(slash_command, rename = "list", default_member_permissions = "MANAGE_GUILD")]
async fn suggestions_list(ctx: Ctx<'_>) -> Result<(), Error> {
    run(ctx, Ok(Command::Suggestions(None))).await
}

/// Add a suggested card to the community's deck (moderators)
#[poise::command(slash_command, rename = "approve", default_member_permissions = "MANAGE_GUILD")]
async fn suggestions_approve(
    ctx: Ctx<'_>,
    #[description = "The suggestion's number"]
    #[min = 1]
    id: u64,
) -> Result<(), Error> {
    run(ctx, Ok(typed::suggestion(true, id))).await
}

/// Decline a suggested card, kindly (moderators)
#[poise::command(slash_command, rename = "decline", default_member_permissions = "MANAGE_GUILD")]
async fn suggestions_decline(
    ctx: Ctx<'_>,
    #[description = "The suggestion's number"]
    #[min = 1]
    id: u64,
) -> Result<(), Error> {
    run(ctx, Ok(typed::suggestion(false, id))).await
}

/// Set this community's crisis resources card (moderators)
#[poise::command(slash_command, rename = "resources-set", default_member_permissions = "MANAGE_GUILD")]
async fn resources_set(ctx: Ctx<'_>, #[description = "The card's text"] text: String) -> Result<(), Error> {
    run(ctx, typed::resources_set(&text)).await
}

#[cfg(test)]
mod tests {
    use poise::ChoiceParameter;

    use super::*;
    use crate::core::deck::Theme;
    use crate::platform::discord::modals::{FIELDS, INTENSITIES, KINDS};

    /// A choice's index is what Discord sends and what a form's custom id carries;
    /// it must name the same word as the core's lists.
    #[test]
    fn the_choices_are_in_the_order_of_the_cores_words() {
        let names = |list: Vec<poise::CommandParameterChoice>| list.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(names(KindChoice::list().into_owned()), KINDS);
        assert_eq!(names(IntensityChoice::list().into_owned()), INTENSITIES);
        assert_eq!(names(ThemeChoice::list().into_owned()), Theme::ALL.map(|t| t.as_str()));
        assert_eq!(names(FieldChoice::list().into_owned()).len(), FIELDS.len());
        for (i, field) in FIELDS.iter().enumerate() {
            let choice = FieldChoice::from_index(i).expect("a field");
            assert_eq!(choice as usize, i);
            assert!(choice.name().replace("listener ", "").replace("content notes", "cw") == *field, "{field}");
        }
        assert_eq!(KindChoice::from_index(4).map(|k| k as usize), Some(4));
    }
}
