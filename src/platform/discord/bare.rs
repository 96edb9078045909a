//! The benchmark's baseline (`benches/discord_ack.rs`): a serenity client
//! whose handler only acknowledges interactions (a slash command with an
//! ephemeral defer, a button with a silent one), with nothing behind it. It
//! lives here because only this folder names serenity; attune never runs it.

use std::sync::Arc;

use poise::serenity_prelude as serenity;

use super::DiscordError;

/// A running bare client.
pub struct Bare {
    shards: Arc<serenity::ShardManager>,
    task: tokio::task::JoinHandle<()>,
}

impl Bare {
    /// Connects through `api_base` (rate limiter off, as attune does through a proxy)
    /// for application `application`.
    pub async fn start(api_base: &str, token: &str, application: u64) -> Result<Self, DiscordError> {
        let http = serenity::HttpBuilder::new(token)
            .proxy(api_base.trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .application_id(serenity::ApplicationId::new(application.max(1)))
            .build();
        let intents =
            serenity::GatewayIntents::GUILDS | serenity::GatewayIntents::GUILD_MESSAGES | serenity::GatewayIntents::DIRECT_MESSAGES;
        let mut client = serenity::ClientBuilder::new_with_http(http, intents)
            .event_handler(Handler)
            .await
            .map_err(|e| DiscordError::Client(e.to_string()))?;
        let shards = client.shard_manager.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = client.start().await {
                tracing::error!(error = %e, "the bare client stopped");
            }
        });
        Ok(Self { shards, task })
    }

    pub async fn stop(self) {
        self.shards.shutdown_all().await;
        let _ = self.task.await;
    }
}

struct Handler;

#[serenity::async_trait]
impl serenity::EventHandler for Handler {
    async fn ready(&self, ctx: serenity::Context, _ready: serenity::Ready) {
        // Registering (no) commands is what a bot does on connecting, and what the
        // fake Discord waits for before it counts a bot as ready.
        if let Err(e) = serenity::Command::set_global_commands(&ctx.http, Vec::new()).await {
            tracing::warn!(error = %e, "the bare client could not register commands");
        }
    }

    async fn interaction_create(&self, ctx: serenity::Context, interaction: serenity::Interaction) {
        let acked = match interaction {
            serenity::Interaction::Command(c) => c.defer_ephemeral(&ctx.http).await,
            serenity::Interaction::Component(c) => c.defer(&ctx.http).await,
            _ => Ok(()),
        };
        if let Err(e) = acked {
            tracing::warn!(error = %e, "the bare client could not acknowledge an interaction");
        }
    }
}
