//! A room upgraded mid-circle (Synapse's upgrade endpoint): attune follows the
//! tombstone, the community and its live circle go on in the new room (said
//! once there), members' short commands work there, and the old room keeps
//! nothing attune held.

use matrix_sdk::ruma::api::client::room::upgrade_room;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_upgraded_mid_circle_carries_the_community_and_the_circle_goes_on_in_the_new_room() {
    // A room where attune may change power levels, and circles hold the floor.
    let mut bot = Bot::registered("upgrade-attune");
    bot.start().await;
    let c = circle_room_with_power(bot, "upgrade").await;
    let me = c.bot.id.clone();
    c.host.say(&c.room, "!attune template set standard floor hold").await;
    c.host.wait_for(0, "the template is changed", |s| s.sender == me && s.room != c.room && s.kind == "m.room.message").await;
    let root = gather(&c).await;
    // A community setting before the upgrade, to see it carried.
    c.host.say(&c.room, "!attune settings set open-per-member 1").await;
    c.host.wait_for(0, "the setting", |s| s.sender == me && s.body().contains("open-per-member")).await;
    c.host.say_in_thread(&c.room, &root, "!attune circle start").await;
    let first = c.host.wait_for(0, "the first turn", |s| s.sender == me && s.offer("done").is_some()).await;
    let speaker = first_pill(&first).unwrap();
    wait_for_levels(&c.host, &c.room, "the floor held", |l| l["events"]["m.room.message"] == 1).await;

    // The host (the room's creator) upgrades the room, then invites everyone to the new one,
    // as Element offers to.
    let old = OwnedRoomId::try_from(c.room.as_str()).unwrap();
    let version = c.host.wait_for_room(&c.room).await.version().expect("the room's version");
    let upgraded = c.host.client.send(upgrade_room::v3::Request::new(old.clone(), version)).await.expect("the upgrade");
    let new = upgraded.replacement_room.to_string();
    let new_room = c.host.wait_for_room(&new).await;
    for who in c.members.iter().map(|m| m.id.clone()).chain([me.clone()]) {
        new_room.invite_user_by_id(&OwnedUserId::try_from(who.as_str()).unwrap()).await.expect("an invite to the new room");
    }
    let note =
        c.host.wait_for(0, "the note in the new room", |s| s.room == new && s.sender == me && s.body().contains("has been upgraded")).await;
    assert!(note.body().contains("has the floor"), "it says where the circle stands: {}", note.body());

    // The new room (whose levels the homeserver copied, hold and all) holds for the
    // same speaker; the old room has its levels back.
    let held = wait_for_levels(&c.host, &new, "the floor held in the new room", |l| {
        l["events"]["m.room.message"] == 1 && l["users"].get(&speaker).is_some()
    })
    .await;
    assert!(held["users"][&me].as_i64().unwrap_or(0) >= 100, "{held}");
    wait_for_levels(&c.host, &c.room, "the old room's floor put back", |l| l["events"]["m.room.message"] != 1).await;

    // The speaker's short `!done` in the new room ends their turn; the next is announced there.
    let who = c.members.iter().find(|m| m.id == speaker).unwrap();
    who.wait_for_room(&new).await;
    let before = c.host.seen().len();
    who.say(&new, "!done").await;
    let next = c
        .host
        .wait_for(before, "the next turn, in the new room", |s| {
            s.sender == me && s.offer("done").is_some() && done_offer(s) != done_offer(&first)
        })
        .await;
    assert_eq!(next.room, new, "the circle goes on in the new room");
    assert_eq!(next.thread_root(), Some(note.event_id.as_str()), "in the thread the note started");

    // The same community: its setting came along, and the circle is the same one.
    let before = c.host.seen().len();
    c.host.say(&new, "!attune settings").await;
    let settings = c.host.wait_for(before, "the settings", |s| s.sender == me && s.body().contains("open-per-member")).await;
    assert!(settings.body().contains("open-per-member: 1") || settings.body().contains("open-per-member 1"), "{}", settings.body());
    let after_upgrade: Vec<Seen> = c
        .host
        .seen()
        .into_iter()
        .filter(|s| s.room == c.room && s.sender == me && s.kind == "m.room.message")
        .skip_while(|s| s.event_id != first.event_id)
        .skip(1)
        .collect();
    assert!(after_upgrade.is_empty(), "nothing more in the old room: {}", summary(&after_upgrade));
    // At the end, the new room's levels are as they were before any hold: nobody is left unable to post.
    c.host.say_in_thread(&new, &note.event_id, "!attune circle end").await;
    let open = wait_for_levels(&c.host, &new, "the new room open again", |l| l["events"]["m.room.message"] != 1).await;
    let listener = c.members.iter().find(|m| m.id != speaker).unwrap();
    assert!(open["users"].get(&listener.id).is_none(), "{open}");
    let Circle { host, members, mut bot, .. } = c;
    bot.stop().await;
    host.stop().await;
    for m in members {
        m.stop().await;
    }
}
