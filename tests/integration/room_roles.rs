//! Room roles: who may list, invite, rename, set roles, remove and ban; what removal and a ban
//! take away (events within 2 s, history, search and sends at once); moderator tombstones;
//! ownership hand-off; and concurrent changes that must leave exactly one owner.

use crate::helpers::*;
use crate::leaving::{heard_until_closed, signed_in};
use crate::ws::PusherSocket;
use pusher_chat::demo::DemoUser;
use pusher_chat::domain::MAX_MEMBERS;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(5);

/// A room with a user in each standing: the owner (its creator), an admin, a member, an invitee
/// who has not accepted, a banned user and a stranger.
struct Cast {
    room: String,
    owner: &'static DemoUser,
    admin: &'static DemoUser,
    member: &'static DemoUser,
    invitee: &'static DemoUser,
    banned: &'static DemoUser,
    stranger: &'static DemoUser,
}

impl Cast {
    fn everyone(&self) -> [(&'static str, &'static DemoUser); 6] {
        [
            ("owner", self.owner),
            ("admin", self.admin),
            ("member", self.member),
            ("invitee", self.invitee),
            ("banned", self.banned),
            ("stranger", self.stranger),
        ]
    }
}

async fn fresh(app: &TestApp, like: &DemoUser) -> &'static DemoUser {
    app.unique_user(like).await.unwrap()
}

async fn cast(app: &TestApp) -> Cast {
    let (owner, admin, member) = (app.alice, app.bob, app.carol);
    let (invitee, banned, stranger) =
        (fresh(app, app.bob).await, fresh(app, app.carol).await, fresh(app, app.bob).await);
    let room = app.joined_room(owner, "roles", &[admin, member, banned]).await;
    assert_eq!(set_role(app, owner, &room, admin, "admin").await.0, 200);
    assert_eq!(invite(app, owner, &room, &[invitee]).await.0, 200);
    let (status, body) = remove(app, owner, &room, banned, true).await;
    assert_eq!(status, 200, "{body}");
    Cast { room, owner, admin, member, invitee, banned, stranger }
}

async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    read(request.send().await.expect("request")).await
}

async fn members(app: &TestApp, who: &DemoUser, room: &str) -> (u16, Value) {
    call(app.http.get(app.url(&format!("/api/rooms/members?roomId={room}"))).bearer_auth(app.token_for(who))).await
}

async fn invite(app: &TestApp, who: &DemoUser, room: &str, users: &[&DemoUser]) -> (u16, Value) {
    let ids: Vec<&str> = users.iter().map(|u| u.id).collect();
    let url = app.url(&format!("/api/rooms/members?roomId={room}"));
    call(app.http.post(url).bearer_auth(app.token_for(who)).json(&json!({"userIds": ids}))).await
}

async fn patch_member(app: &TestApp, who: &DemoUser, room: &str, target: &DemoUser, body: Value) -> (u16, Value) {
    let url = app.url(&format!("/api/rooms/members?roomId={room}&userId={}", target.id));
    call(app.http.patch(url).bearer_auth(app.token_for(who)).json(&body)).await
}

async fn set_role(app: &TestApp, who: &DemoUser, room: &str, target: &DemoUser, role: &str) -> (u16, Value) {
    patch_member(app, who, room, target, json!({"role": role})).await
}

async fn remove(app: &TestApp, who: &DemoUser, room: &str, target: &DemoUser, ban: bool) -> (u16, Value) {
    let url = app.url(&format!("/api/rooms/members?roomId={room}&userId={}&ban={ban}", target.id));
    call(app.http.delete(url).bearer_auth(app.token_for(who))).await
}

async fn update_room(app: &TestApp, who: &DemoUser, room: &str, body: Value) -> (u16, Value) {
    let url = app.url(&format!("/api/rooms?roomId={room}"));
    call(app.http.patch(url).bearer_auth(app.token_for(who)).json(&body)).await
}

async fn leave(app: &TestApp, who: &DemoUser, room: &str) -> (u16, Value) {
    call(app.http.delete(app.url(&format!("/api/rooms?roomId={room}"))).bearer_auth(app.token_for(who))).await
}

async fn accept(app: &TestApp, who: &DemoUser, room: &str) -> (u16, Value) {
    call(app.http.put(app.url(&format!("/api/rooms?roomId={room}"))).bearer_auth(app.token_for(who))).await
}

/// Each member's role, as the database holds it.
async fn roles(app: &TestApp, room: &str) -> Vec<(String, String)> {
    let rows = app
        .db()
        .await
        .query(r#"SELECT "userId", "role" FROM "RoomMember" WHERE "roomId" = $1 ORDER BY "userId""#, &[&room])
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

fn owners(roles: &[(String, String)]) -> Vec<&str> {
    roles.iter().filter(|(_, role)| role == "owner").map(|(id, _)| id.as_str()).collect()
}

fn outcome(answer: &(u16, Value)) -> String {
    match answer.0 {
        200 | 201 => answer.0.to_string(),
        status => format!("{status} {}", error_code(&answer.1)),
    }
}

#[tokio::test]
async fn every_room_roles_route_answers_each_standing_as_the_rules_say() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let refused = "403 not_a_member";

    // The member list: members see roles, only the owner and admins see bans.
    for (standing, user) in c.everyone() {
        let answer = members(&app, user, &c.room).await;
        let expected = match standing {
            "owner" | "admin" | "member" => "200",
            _ => refused,
        };
        assert_eq!(outcome(&answer), expected, "GET members as {standing}: {}", answer.1);
        if answer.0 == 200 {
            assert_eq!(answer.1["bans"].is_array(), standing != "member", "{standing}: {}", answer.1);
            let listed: Vec<(&str, &str)> = answer.1["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["id"].as_str().unwrap(), m["role"].as_str().unwrap()))
                .collect();
            assert_eq!(listed, [(c.owner.id, "owner"), (c.admin.id, "admin"), (c.member.id, "member")]);
            assert_eq!(answer.1["invitations"][0]["id"], c.invitee.id);
        }
    }

    // Renaming and the invite policy: the owner and admins.
    for (standing, user) in c.everyone() {
        let answer = update_room(&app, user, &c.room, json!({"name": format!("by {standing}")})).await;
        let expected = match standing {
            "owner" | "admin" => "200",
            "member" => "403 not_an_admin",
            _ => refused,
        };
        assert_eq!(outcome(&answer), expected, "rename as {standing}: {}", answer.1);
    }

    // Inviting: every member under "members", the owner and admins only under "admins".
    for policy in ["members", "admins"] {
        assert_eq!(update_room(&app, c.owner, &c.room, json!({"invitePolicy": policy})).await.0, 200);
        for (standing, user) in c.everyone() {
            let guest = fresh(&app, app.carol).await;
            let answer = invite(&app, user, &c.room, &[guest]).await;
            let expected = match (standing, policy) {
                ("owner" | "admin", _) | ("member", "members") => "200",
                ("member", _) => "403 invite_not_allowed",
                _ => refused,
            };
            assert_eq!(outcome(&answer), expected, "invite as {standing} under {policy}: {}", answer.1);
        }
    }

    // Roles: the owner only.
    for (standing, user) in c.everyone() {
        let answer = set_role(&app, user, &c.room, c.member, "admin").await;
        let expected = match standing {
            "owner" => "200",
            "admin" | "member" => "403 not_owner",
            _ => refused,
        };
        assert_eq!(outcome(&answer), expected, "set a role as {standing}: {}", answer.1);
        if answer.0 == 200 {
            assert_eq!(set_role(&app, c.owner, &c.room, c.member, "member").await.0, 200);
        }
    }

    // Removing a plain member: the owner and admins.
    for (standing, user) in c.everyone() {
        let target = fresh(&app, app.carol).await;
        assert_eq!(invite(&app, c.owner, &c.room, &[target]).await.0, 200);
        assert_eq!(accept(&app, target, &c.room).await.0, 200);
        let answer = remove(&app, user, &c.room, target, false).await;
        let expected = match standing {
            "owner" | "admin" => "200",
            "member" => "403 not_an_admin",
            _ => refused,
        };
        assert_eq!(outcome(&answer), expected, "remove a member as {standing}: {}", answer.1);
    }

    // An admin cannot remove or ban the owner or another admin; the owner can remove an admin.
    let second_admin = fresh(&app, app.bob).await;
    assert_eq!(invite(&app, c.owner, &c.room, &[second_admin]).await.0, 200);
    assert_eq!(accept(&app, second_admin, &c.room).await.0, 200);
    assert_eq!(set_role(&app, c.owner, &c.room, second_admin, "admin").await.0, 200);
    for ban in [false, true] {
        assert_eq!(outcome(&remove(&app, c.admin, &c.room, c.owner, ban).await), "403 outranked");
        assert_eq!(outcome(&remove(&app, c.admin, &c.room, second_admin, ban).await), "403 outranked");
    }
    assert_eq!(outcome(&remove(&app, c.admin, &c.room, c.admin, false).await), "422 cannot_remove_self");
    assert_eq!(outcome(&remove(&app, c.owner, &c.room, second_admin, false).await), "200");

    // Lifting a ban: the owner and admins.
    for (standing, user) in c.everyone() {
        let answer = patch_member(&app, user, &c.room, c.banned, json!({"banned": false})).await;
        let expected = match standing {
            "owner" | "admin" => "200",
            "member" => "403 not_an_admin",
            _ => refused,
        };
        assert_eq!(outcome(&answer), expected, "unban as {standing}: {}", answer.1);
        assert_eq!(outcome(&remove(&app, c.owner, &c.room, c.banned, true).await), "200");
    }

    // Bad input is a clear 4xx, never a 5xx.
    let bad: [(Value, &str); 4] = [
        (json!({"role": "king"}), "422 invalid_role"),
        (json!({}), "422 invalid_body"),
        (json!({"role": "admin", "banned": true}), "422 invalid_body"),
        (json!({"colour": "red"}), "422 invalid_body"),
    ];
    for (body, expected) in bad {
        let answer = patch_member(&app, c.owner, &c.room, c.member, body.clone()).await;
        assert!(outcome(&answer).starts_with(&expected[..3]), "{body}: {}", answer.1);
    }
    assert_eq!(
        outcome(&update_room(&app, c.owner, &c.room, json!({"invitePolicy": "all"})).await),
        "422 invalid_invite_policy"
    );
    assert_eq!(outcome(&update_room(&app, c.owner, &c.room, json!({"name": " "})).await), "422 invalid_name");
    assert_eq!(outcome(&members(&app, c.owner, "no-such-room").await), "404 not_found");
    assert_eq!(outcome(&remove(&app, c.owner, &c.room, c.stranger, false).await), "404 not_found");
    assert_eq!(outcome(&set_role(&app, c.owner, &c.room, c.stranger, "admin").await), "404 not_found");
}

#[tokio::test]
async fn a_removed_member_stops_hearing_the_room_within_2_s_and_loses_history_search_and_sends_at_once() {
    let app = TestApp::spawn().await;
    let (owner, admin, member) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(owner, "team", &[admin, member]).await;
    assert_eq!(set_role(&app, owner, &room, admin, "admin").await.0, 200);
    app.send_to_room(owner, &room, "zebrafish before").await;
    let channel = room_channel(&room);
    let mut removed = signed_in(&app, member, std::slice::from_ref(&channel)).await;
    let mut stayer = signed_in(&app, owner, std::slice::from_ref(&channel)).await;
    let token = app.token_for(member);
    let (status, page) = app.get(&format!("/api/messages/room?roomId={room}"), Some(&token)).await;
    assert_eq!((status, page["messages"].as_array().map(Vec::len)), (200, Some(1)), "{page}");

    let started = Instant::now();
    let (status, body) = remove(&app, admin, &room, member, false).await;
    assert_eq!((status, &body["removed"]), (200, &json!(true)), "{body}");
    // At once: no history, search, sends or channel.
    let (status, body) = app.get(&format!("/api/messages/room?roomId={room}"), Some(&token)).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_member"));
    let (status, found) = app.get("/api/messages/search?q=zebrafish", Some(&token)).await;
    assert_eq!((status, &found["messages"]), (200, &json!([])), "{found}");
    let sent =
        app.post_json("/api/messages/room", Some(&token), &json!({"roomId": room, "content": "still here?"})).await;
    assert_eq!((sent.0, error_code(&sent.1)), (403, "not_a_member"));
    assert_eq!(app.channel_auth(Some(&token), &removed.socket_id, &channel).await.0, 403);

    app.send_to_room(owner, &room, "after the removal").await;
    let (heard, closed) = heard_until_closed(&mut removed, WAIT).await;
    let from_room: Vec<_> = heard.iter().filter(|r| r.channel.as_deref() == Some(channel.as_str())).collect();
    assert!(from_room.is_empty(), "the removed member heard the room: {from_room:?}");
    let closed = closed.expect("the removed member's connection stayed open");
    eprintln!("room roles: the removed member's connection closed {:?} after the removal", started.elapsed());
    assert!(closed < Duration::from_secs(2), "closed after {closed:?}");

    let mut stayer_heard = Vec::new();
    while let Some(event) = stayer.next_event(Duration::from_secs(1)).await {
        stayer_heard.push((event.event, event.data["userId"].clone()));
    }
    assert_eq!(stayer_heard[0], ("room-member-removed".to_owned(), json!(member.id)), "{stayer_heard:?}");
    assert_eq!(stayer_heard[1].0, "new-message");
}

#[tokio::test]
async fn a_banned_user_is_closed_out_and_can_be_neither_invited_again_nor_accept_an_old_invitation() {
    let app = TestApp::spawn().await;
    let (owner, member, invitee) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(owner, "team", &[member]).await;
    let channel = room_channel(&room);
    let mut banned = signed_in(&app, member, std::slice::from_ref(&channel)).await;
    assert_eq!(invite(&app, owner, &room, &[invitee]).await.0, 200);

    // Banning a member removes them and closes their connection.
    let (status, body) = patch_member(&app, owner, &room, member, json!({"banned": true})).await;
    assert_eq!((status, &body["removed"]), (200, &json!(true)), "{body}");
    assert!(banned.closed_within(Duration::from_secs(2)).await, "the banned member's connection stayed open");
    assert_eq!(outcome(&accept(&app, member, &room).await), "403 banned_from_room");
    assert_eq!(outcome(&invite(&app, owner, &room, &[member]).await), "403 banned_from_room");

    // Banning an invitee withdraws the invitation, and an invitation left from before does not open the room.
    let (status, body) = remove(&app, owner, &room, invitee, true).await;
    assert_eq!((status, &body["uninvited"]), (200, &json!(true)), "{body}");
    assert_eq!(outcome(&accept(&app, invitee, &room).await), "403 banned_from_room");
    app.db()
        .await
        .execute(
            r#"INSERT INTO "RoomInvitation" ("roomId", "userId", "invitedBy") VALUES ($1, $2, $3)"#,
            &[&room, &invitee.id, &owner.id],
        )
        .await
        .unwrap();
    assert_eq!(outcome(&accept(&app, invitee, &room).await), "403 banned_from_room");
    let (_, listed) = members(&app, owner, &room).await;
    let banned_ids: Vec<&str> = listed["bans"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(banned_ids.len(), 2, "{listed}");
    assert!(banned_ids.contains(&member.id) && banned_ids.contains(&invitee.id));

    // Unbanned, they can be invited and join again.
    assert_eq!(outcome(&patch_member(&app, owner, &room, member, json!({"banned": false})).await), "200");
    assert_eq!(outcome(&invite(&app, owner, &room, &[member]).await), "200");
    assert_eq!(outcome(&accept(&app, member, &room).await), "200");
}

#[tokio::test]
async fn a_moderator_deletes_a_members_message_and_the_tombstone_says_removed_by_a_moderator() {
    let app = TestApp::spawn().await;
    let (owner, admin, member) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(owner, "team", &[admin, member]).await;
    assert_eq!(set_role(&app, owner, &room, admin, "admin").await.0, 200);
    let mut watcher = subscribed(&app, owner, &[room_channel(&room)]).await;
    let by_member = app.send_to_room(member, &room, "spam spam").await;
    let by_owner = app.send_to_room(owner, &room, "rules").await;
    let by_admin = app.send_to_room(admin, &room, "welcome").await;
    let delete = |who: &DemoUser, id: &Value| {
        let url = app.url(&format!("/api/messages?id={}", id.as_str().unwrap()));
        app.http.delete(url).bearer_auth(app.token_for(who))
    };
    while watcher.next_event(Duration::from_millis(500)).await.is_some() {}

    let (status, body) = call(delete(admin, &by_member["id"])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((&body["message"]["deletedBy"], &body["message"]["content"]), (&json!("moderator"), &json!("")));
    let event = watcher.next_event(WAIT).await.expect("message-deleted");
    assert_eq!((event.event.as_str(), &event.data["deletedBy"]), ("message-deleted", &json!("moderator")));
    let (_, page) = app.get(&format!("/api/messages/room?roomId={room}"), Some(&app.token_for(member))).await;
    let tombstone = page["messages"].as_array().unwrap().iter().find(|m| m["id"] == by_member["id"]).unwrap();
    assert_eq!(tombstone["deletedBy"], "moderator", "{tombstone}");

    // Only over lower roles: not the owner's message, nor another admin's; a member moderates nothing.
    assert_eq!(outcome(&call(delete(admin, &by_owner["id"])).await), "403 not_sender");
    assert_eq!(outcome(&call(delete(member, &by_admin["id"])).await), "403 not_sender");
    let (status, body) = call(delete(owner, &by_admin["id"])).await;
    assert_eq!((status, &body["message"]["deletedBy"]), (200, &json!("moderator")), "{body}");
    // A sender's own deletion says nothing of a moderator.
    let (status, body) = call(delete(owner, &by_owner["id"])).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["message"].get("deletedBy").is_none(), "{body}");
}

#[tokio::test]
async fn the_owner_leaving_hands_the_room_to_the_longest_standing_admin_else_member() {
    let app = TestApp::spawn().await;
    let (owner, older, newer) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(owner, "team", &[older, newer]).await;
    assert_eq!(set_role(&app, owner, &room, newer, "admin").await.0, 200);
    let mut watcher = subscribed(&app, older, &[room_channel(&room)]).await;
    while watcher.next_event(Duration::from_millis(500)).await.is_some() {}

    assert_eq!(leave(&app, owner, &room).await.0, 200);
    assert_eq!(owners(&roles(&app, &room).await), [newer.id], "the admin, though the member joined first");
    let mut heard = Vec::new();
    while let Some(event) = watcher.next_event(Duration::from_secs(1)).await {
        heard.push((event.event, event.data["userId"].clone(), event.data["role"].clone()));
    }
    assert!(heard.contains(&("room-member-role-changed".into(), json!(newer.id), json!("owner"))), "{heard:?}");
    assert_eq!(leave(&app, newer, &room).await.0, 200);
    assert_eq!(owners(&roles(&app, &room).await), [older.id], "no admin left: the longest-standing member");

    // Handing over by hand: the new owner's predecessor becomes an admin.
    let guest = fresh(&app, app.carol).await;
    assert_eq!(invite(&app, older, &room, &[guest]).await.0, 200);
    assert_eq!(accept(&app, guest, &room).await.0, 200);
    assert_eq!(set_role(&app, older, &room, guest, "owner").await.0, 200);
    let mut now = roles(&app, &room).await;
    now.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(owners(&now), [guest.id]);
    assert!(now.contains(&(older.id.to_owned(), "admin".to_owned())), "{now:?}");
}

#[tokio::test]
async fn renaming_and_role_changes_are_room_events() {
    let app = TestApp::spawn().await;
    let (owner, member) = (app.alice, app.bob);
    let room = app.joined_room(owner, "team", &[member]).await;
    let mut socket = subscribed(&app, member, &[room_channel(&room)]).await;
    let (status, body) = update_room(&app, owner, &room, json!({"name": "Team 2", "invitePolicy": "admins"})).await;
    assert_eq!(
        (status, &body["room"]["name"], &body["room"]["invitePolicy"]),
        (200, &json!("Team 2"), &json!("admins"))
    );
    let event = socket.next_event(WAIT).await.expect("room-updated");
    assert_eq!((event.event.as_str(), &event.data["name"]), ("room-updated", &json!("Team 2")));
    assert_eq!(set_role(&app, owner, &room, member, "admin").await.0, 200);
    let event = socket.next_event(WAIT).await.expect("room-member-role-changed");
    assert_eq!(
        (event.event.as_str(), &event.data["userId"], &event.data["role"]),
        ("room-member-role-changed", &json!(member.id), &json!("admin"))
    );
    // A promotion is that one event: the owner's role did not change.
    assert!(socket.next_event(Duration::from_millis(700)).await.is_none(), "one event for a promotion");
    let (_, listed) = app.get("/api/rooms", Some(&app.token_for(member))).await;
    assert_eq!((&listed["rooms"][0]["name"], &listed["rooms"][0]["role"]), (&json!("Team 2"), &json!("admin")));
    // Handing the room over changes two roles, and says both.
    assert_eq!(set_role(&app, owner, &room, member, "owner").await.0, 200);
    let mut changes = Vec::new();
    for _ in 0..2 {
        let event = socket.next_event(WAIT).await.expect("room-member-role-changed");
        assert_eq!(event.event, "room-member-role-changed");
        changes
            .push((event.data["userId"].as_str().unwrap().to_owned(), event.data["role"].as_str().unwrap().to_owned()));
    }
    changes.sort();
    let mut expected = vec![(owner.id.to_owned(), "admin".to_owned()), (member.id.to_owned(), "owner".to_owned())];
    expected.sort();
    assert_eq!(changes, expected);
}

#[tokio::test]
async fn invitations_fill_a_room_up_to_its_size_and_not_past_it() {
    let app = TestApp::spawn().await;
    let room = app.joined_room(app.alice, "full", &[]).await;
    let mut guests = Vec::new();
    for _ in 0..MAX_MEMBERS + 1 {
        guests.push(fresh(&app, app.bob).await);
    }
    // The owner and 98 invitations: 99 places taken, one left.
    let first: Vec<&DemoUser> = guests[..MAX_MEMBERS - 2].to_vec();
    assert_eq!(outcome(&invite(&app, app.alice, &room, &first).await), "200");
    assert_eq!(outcome(&invite(&app, app.alice, &room, &[guests[MAX_MEMBERS - 2]]).await), "200", "the last place");
    let over = invite(&app, app.alice, &room, &[guests[MAX_MEMBERS - 1]]).await;
    assert_eq!(outcome(&over), "422 too_many_members", "{}", over.1);
}

#[tokio::test]
async fn the_owner_leaving_while_promoting_someone_always_leaves_one_owner_and_the_promoted_admin_inherits() {
    let app = TestApp::spawn().await;
    for round in 0..8 {
        let (owner, older, promoted) =
            (fresh(&app, app.alice).await, fresh(&app, app.bob).await, fresh(&app, app.carol).await);
        let room = app.joined_room(owner, "race", &[older, promoted]).await;
        let (promotion, left) =
            tokio::join!(set_role(&app, owner, &room, promoted, "admin"), leave(&app, owner, &room));
        assert_eq!(left.0, 200, "{}", left.1);
        let now = roles(&app, &room).await;
        assert_eq!(owners(&now).len(), 1, "round {round}: {now:?}");
        match promotion.0 {
            // Promoted before the leave: the room goes to the admin, not the older member.
            200 => assert_eq!(owners(&now), [promoted.id], "round {round}: {now:?}"),
            _ => assert_eq!(outcome(&promotion), "403 not_a_member", "round {round}"),
        }
    }
}

#[tokio::test]
async fn two_admins_removing_each_other_while_the_room_changes_hands_leave_one_owner_and_at_most_one_removal() {
    let app = TestApp::spawn().await;
    for round in 0..8 {
        let (owner, admin_a, admin_b) =
            (fresh(&app, app.alice).await, fresh(&app, app.bob).await, fresh(&app, app.carol).await);
        let room = app.joined_room(owner, "race", &[admin_a, admin_b]).await;
        for admin in [admin_a, admin_b] {
            assert_eq!(set_role(&app, owner, &room, admin, "admin").await.0, 200);
        }
        // The owner hands the room to A while A and B try to remove each other and A removes the old owner.
        let (handed, a_removes_b, b_removes_a, a_removes_owner) = tokio::join!(
            set_role(&app, owner, &room, admin_a, "owner"),
            remove(&app, admin_a, &room, admin_b, false),
            remove(&app, admin_b, &room, admin_a, false),
            remove(&app, admin_a, &room, owner, false),
        );
        for answer in [&handed, &a_removes_b, &b_removes_a, &a_removes_owner] {
            assert!(answer.0 < 500, "round {round}: {}", answer.1);
        }
        assert_ne!(b_removes_a.0, 200, "round {round}: an admin removed another admin");
        let now = roles(&app, &room).await;
        assert_eq!(owners(&now).len(), 1, "round {round}: {now:?}");
        let member_ids: Vec<&str> = now.iter().map(|(id, _)| id.as_str()).collect();
        assert!(member_ids.contains(&owners(&now)[0]));
        if a_removes_b.0 == 200 || a_removes_owner.0 == 200 {
            assert_eq!(handed.0, 200, "round {round}: A acted on an admin without being the owner");
        }
    }
}

#[tokio::test]
async fn a_socket_that_only_listens_hears_that_a_member_was_banned() {
    let app = TestApp::spawn().await;
    let (owner, member) = (app.alice, app.bob);
    let room = app.joined_room(owner, "team", &[member]).await;
    let mut socket = PusherSocket::connect().await;
    let channel = room_channel(&room);
    let (_, auth) = app.channel_auth(Some(&app.token_for(owner)), &socket.socket_id, &channel).await;
    socket.subscribe(&channel, auth["auth"].as_str(), None).await.unwrap();
    assert_eq!(remove(&app, owner, &room, member, true).await.0, 200);
    let mut heard = Vec::new();
    while let Some(event) = socket.next_event(Duration::from_secs(1)).await {
        heard.push(event.event);
    }
    // Both events of the one request, in either order (they are published side by side).
    heard.sort();
    assert_eq!(heard, ["room-member-banned", "room-member-removed"]);
}

#[tokio::test]
async fn an_owner_whose_account_is_erased_hands_the_room_on_like_one_who_leaves() {
    let app = TestApp::spawn().await;
    let (owner, member, admin) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(owner, "team", &[member, admin]).await;
    assert_eq!(set_role(&app, owner, &room, admin, "admin").await.0, 200);
    let (status, body) = call(app.http.delete(app.url("/api/me")).bearer_auth(app.token_for(owner))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(owners(&roles(&app, &room).await), [admin.id]);
}

#[tokio::test]
async fn invitations_count_against_their_own_hourly_bucket() {
    let mut env = test_env(&migrated_database().await);
    env.insert("RATE_LIMIT_ROOMS_PER_HOUR".into(), "2".into());
    let app = TestApp::spawn_with(env).await;
    let room = app.joined_room(app.alice, "team", &[]).await;
    for expected in ["200", "200", "429 rate_limited"] {
        let guest = fresh(&app, app.bob).await;
        assert_eq!(outcome(&invite(&app, app.alice, &room, &[guest]).await), expected);
    }
    // Creating rooms has a bucket of its own: still open.
    let (status, body) = app.post_json("/api/rooms", Some(&app.token_for(app.alice)), &json!({"name": "two"})).await;
    assert_eq!(status, 201, "{body}");
}
