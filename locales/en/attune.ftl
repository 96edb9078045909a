# attune — English catalogue. Every sentence the bot says lives here.
# Voice: warm, plain, short. Never advice, diagnosis, guilt or promises.

## Opening and gathering

circle-opened = { $host } has opened a witnessing circle.
circle-opened-titled = { $host } has opened a witnessing circle: { $title }
circle-shape = Up to { $max } people, turns of about { $time }, { $rounds ->
    [one] one round of sharing
   *[other] { $rounds } rounds of sharing
}.
circle-budget = Sharing has a time limit of about { $time }, so the circle may close before every round.
circle-join-hint = Join with /circle join. You can leave at any time with /circle leave.
agreements-intro = Before you join, here is what we agree to in every circle:
agreements =
    • What people share here stays here.
    • Speak from your own experience.
    • Listen without fixing: no advice unless someone asks for it.
    • Anyone may pass, at any time, without giving a reason.
agreements-custom = { $agreements }
agreements-changed = The agreements changed since I showed them; here they are now:
agreements-ask = If that feels right to you, reply /agree and you'll be added to the circle.
agreed = Thank you. Your agreement is noted.
agreed-circle-gone = That circle has closed in the meantime. You're welcome in the next one.
joined = { $name } has joined ({ $count } of { $max }).
joined-late = { $name } has joined and will be added to the end of the order.
waitlisted = This circle is full right now. You're number { $place } on the waitlist, and I'll tell you privately if a place opens for you.
promoted = A place opened up and you're now in the circle.
waitlist-ended = The circle you were waiting for has gone ahead without a free place, so I've taken you off the waitlist. You're welcome in the next one.
left = You've left the circle. Take care of yourself. If you'd like to talk with someone, /support reaches a moderator, privately.
scheduled = This circle will begin at { $when }.
circle-moved-room = This room has been upgraded, so circles here carry on in this room, with the same seats and settings. Anyone who isn't here yet can follow the link in the old room.
circle-moved-room-turn = { $name } has the floor, about { $time } left.
circle-moved-room-reflecting = { $name }'s turn is open for reflections.
reminder = A gentle reminder: the circle you joined begins in about { $time }.
reminder-interested = A gentle reminder: { $title }, which you marked as interested, begins in about { $time }. If there's room and you'd like to take part, you're welcome to join with /circle join in the circle's thread.
reminder-interested-untitled = A gentle reminder: the circle you marked as interested begins in about { $time }. If there's room and you'd like to take part, you're welcome to join with /circle join in the circle's thread.
listing-untitled = Witnessing circle
listing-about = A witnessing circle: people take turns to share while the others listen, without advice, and anyone may pass. Join with /circle join in the circle's thread.
cancelled-quorum = Not enough people could gather this time, so this circle won't go ahead. Thank you to everyone who came — you're welcome next time.
cancelled-unstarted = This circle was opened but never began, so I've closed it to leave the space clear. Thank you to everyone who joined — a new circle can be opened whenever the time is right.
closed-before-start = This circle has been closed before it began. Thank you for coming.
host-gone-before-start = This circle's host can't hold it any more, so it won't go ahead. Thank you for coming.
host-gone-carry-on = This circle's host has had to step away. We'll carry on as we are, and moderators can help with anything a host would do.

## Opening

opening-welcome = Welcome, everyone. Let's begin.
opening-agreements =
    A reminder of what we've agreed: what's shared here stays here; we speak from our own experience;
    we listen without fixing; and anyone may pass at any time.
opening-agreements-custom = A reminder of what we've agreed: { $agreements }
opening-arrival = Before we start, you might take a slow breath and notice how you're arriving. There's no rush.
order-join = We'll go in the order people joined: { $names }.
order-random = The order was drawn at random: { $names }.
order-hand = Raise your hand with /hand when you'd like to speak. Everyone else follows in this order: { $names }.
checkin-begins = We'll start with a short check-in from each person.
sharing-begins = Thank you for checking in. Now we move into sharing{ $rounds ->
    [one] .
   *[other] , { $rounds } rounds in all.
}
round-begins = Round { $round } of { $rounds } begins.
closing-budget = We've reached this circle's time for sharing, so we'll close here, with a short check-out from each person.
closing-begins = Thank you for sharing and for listening. We'll close with a short check-out from each person.

## Turns

turn-checkin = { $name }, it's your check-in ({ $time }). A pass is always welcome: /pass.
turn-sharing = { $name }, the floor is yours ({ $time }).
turn-checkout = { $name }, it's your check-out ({ $time }).
turn-prompt = Prompt: { $prompt }
turn-free = Share whatever is with you right now.
turn-speaker-options = When you're finished, say /done. You can /pass at any time, no reason needed, ask for another /card, or choose what comes back with /mode. If a reflection misses, you're welcome to say what fits better.
mode-witness = { $name } would like to be witnessed: listeners, please hold what you hear without replying.
mode-witness-default = This turn is witness-only for now: listeners, please hold what you hear without replying. { $name } can change that with /mode.
mode-reflections = { $name } welcomes reflections afterwards: what you heard, in their words, without advice.
mode-feelings = { $name } welcomes feelings only afterwards: the feelings you heard, gently named.
turn-warning = About { $time } left. { $extend ->
    [yes] If you'd like a little more, say /extend; otherwise, when the time comes, a last sentence is welcome.
   *[no] When the time comes, a last sentence is welcome.
}
turn-time = Thank you, { $name }. That's the time for this turn.
passed = { $name } is passing this turn.
turn-done = Thank you, { $name }.
host-next = A host has moved the circle on. Thank you, { $name }.
hand-own-turn = It's your turn now: the floor is yours.
pass-ahead = Noted. You'll pass this round; no reason needed.
extended = { $name } is taking a little more time ({ $time }).
extend-withdrawn = { $name }'s turn is back to its usual length.
cw-speaker = Your prompt touches on { $tags }, so it comes only to you, and only if you want it.
cw-speaker-choice = Say /card show to see it, or /card for a different one. You can also share whatever is with you. Nothing of it will be posted in the circle.
reflect-window = Listeners, you have { $time } to reflect back what you heard from { $name }. Stay with their words; no advice.
reflect-window-feelings = Listeners, you have { $time } to name, gently, the feelings you heard from { $name }.
reflect-window-closed = Thank you for your reflections for { $name }.
hand-raised = { $name } has raised a hand.
hand-already = Your hand is already up. You'll be next when the floor is free.
hand-already-queued = Your hand is already up. Others raised theirs first, so the floor will come to you in turn.
away = You're marked as away. Your place is kept; say /back when you return.
away-already = You're already marked as away. Say /back when you return.
back = Welcome back. You'll be offered your turn when it comes round.
back-already = You're here and in the circle.
mode-saved = Saved: from now on your turns start with "{ $mode }". You can change it during any turn.
floor-nudge = { $speaker } has the floor right now. There'll be room for your words on your own turn.
floor-nudge-plain = { $speaker } has the floor right now. Thank you for holding your words while they speak.

## Listener guides (private)

guide-witness = { $name } would like to be witnessed. Listen with your whole attention; there's nothing you need to say back.
guide-witness-default = This turn is witness-only unless { $name } changes it. Listen with your whole attention; there's nothing you need to say back.
guide-reflections = { $name } welcomes reflections. Afterwards, you might say back what you heard, in their words, and check whether you heard it right. No advice or fixing.
guide-feelings = { $name } welcomes feelings only. Afterwards, you might name a feeling you heard ("it sounds like there was some sadness") and ask whether it fits. No advice, no stories of your own.
guide-card = For this prompt: { $guide }
guide-self-care = This prompt can go deep. Notice what stirs in you as you listen; you can bring it to your own turn.
guide-repair = If the speaker says a reflection missed, thank them and take their words as the right ones; there's nothing to defend.
guide-care = Care comes before the format: if someone seems to be struggling, it's fine to slow down, and a host can pause the circle.

## Closing

circle-ended = This circle has come to a close. Thank you for the care you brought to it.
confidentiality-reminder = Please keep what was shared here. If you'd like to bring up someone's share later, ask them first.
pulse-ask = If you'd like to, tell me privately: did you feel heard today? Reply /pulse 1 (not really) to /pulse 5 (very much) within a day. It's optional, and hosts only ever see one overall average.
pulse-thanks = Thank you. Hosts will only see it as part of an average.
pulse-thanks-low = Thank you for telling me. I'm sorry it didn't feel that way today. Hosts will only see it as part of an average. If you'd like to talk with someone, /support reaches a moderator, privately.

## Host tools

paused = { $name } has paused the circle. Take a breath; we'll continue when they resume.
resumed = The circle continues.
resumed-turn = The circle continues. { $name }, you have { $time } left.
resumed-reflecting = The circle continues, with { $time } left for reflections for { $name }.
moved = { $name } will now speak at position { $pos }.
removed-by-host = A host has removed you from this circle. If you'd like to talk about it, /support reaches the moderators.
removed-done = Done. They've been told privately.
cohost-added = { $name } is now co-hosting this circle.
cohost-removed = { $name } is no longer co-hosting this circle.
cohost-already = { $name } is already co-hosting.
cohost-not = { $name } isn't co-hosting.
readmitted = A host has welcomed you back to this circle. You can join again with /circle join.
readmitted-done = Done. { $name } can join again, and has been told privately.
status-head = Circle status: { $phase } · { $template } · { $count } of { $max } people.
status-members = In the circle: { $names }
status-waitlist = Waiting for a place: { $count }
status-paused = The circle is paused.
status-speaker = { $name } has the floor, { $time } left.
status-reflecting = Reflections for { $name }, { $time } left.
status-speaker-ending = { $name } has the floor; their time is just ending.
status-reflecting-ending = Reflections for { $name } are just ending.
status-upcoming = Still to speak this round: { $names }
status-scheduled = Scheduled for { $when }.
status-pulse = "Did you feel heard?": { $count } answers, average { $average } out of 5.
status-pulse-few = "Did you feel heard?": { $count ->
    [0] nobody answered
    [one] one answer
   *[other] { $count } answers
}. An average is shown only when at least 3 people answered.
status-pulse-open = "Did you feel heard?": answers are still coming in. The average appears once everyone has answered, or a day after the circle ended.

## After a restart

recovered = I'm back after an interruption. We'll carry on from where we were.
recovered-turn = I'm back after an interruption. { $name } still has the floor, with { $time } left.
recovered-reflecting = I'm back after an interruption. Reflections for { $name } continue, with { $time } left.
circle-interrupted = I'm back after an interruption, but I couldn't pick up the circle that was running here, and I'm sorry. It has been set aside. A host can open a new one whenever the group is ready.

## Private reflection

reflect-card = Something to sit with, if you like: { $prompt }
content-note = Content note: { $tags }.
reflect-cw-next = The card is ready when you are: say /next to see it, or /reflect for a gentler one.
reflect-private = This is just for you. You don't need to reply, and nothing you write back is kept.
practice-list = Practices you can try, one step at a time (start one with /practice NAME):
practice-item = • { $name }: { $title } ({ $steps ->
    [one] one step
   *[other] { $steps } steps
})
practice-start = { $title }. Go at your own pace; you can stop whenever you like.
practice-step = Step { $n } of { $total }: { $step }
practice-done = That's the end of the practice. Thank you for taking this time for yourself.
daily-set = A daily reflection will come at { $time } ({ $zone }). Pause it with /daily pause or stop with /daily off.
daily-off = Daily reflections are off.
daily-paused = Daily reflections are paused. Resume any time with /daily resume.
daily-resumed = Daily reflections are back on, at { $time }.
daily-card = Today's reflection, if you'd like it: { $prompt }
daily-footer = No reply needed.
quiet-set = Quiet hours set: { $start } to { $end }. Daily reflections and circle reminders won't come in that time.
quiet-off = Quiet hours are off.
timezone-set = Your time zone is now { $zone }.

## Safety and support

crisis-intro = attune sends this privately to anyone whose words touch on suicide or self-harm, so it may not fit you. If it does, you don't have to carry this alone: many people get through times like this, and there is help you can reach now.
crisis-resources = { $resources }
crisis-options = If you'd like a person from this community, /support asks a moderator to reach out to you. This card is here any time with /resources. If it doesn't apply to you, say /crisis wrong. To stop these checks, say /crisis off.
crisis-again = Just in case it helps: /support reaches a moderator, and /resources shows the helplines, whenever you want them.
crisis-wrong = Thank you for letting me know, and sorry for the interruption.
crisis-off = Understood. I won't check your messages any more. Say /crisis on if you change your mind. The helplines stay here for you any time with /resources.
crisis-on = I'll check your messages again and offer resources if they might help.
support-opened = I've asked the moderators to reach out to you privately. They're people too, so it may take a little while. If you're in danger right now, please contact your local emergency number; /resources lists helplines you can reach any time.
support-already = I've already asked the moderators to reach out to you privately. If you're in danger right now, please contact your local emergency number.
support-failed = I couldn't reach the moderators just now, and I'm sorry. Please try /support again in a little while. The crisis resources (/resources) are there at any time, and if you're in danger right now, please contact your local emergency number.
private-which-community = You're in more than one community here ({ $communities }), so I'm not sure which one this is for. Please send it again from inside that community, or in the private conversation I opened for it.
private-no-community = I don't know which community this is for yet. Please use a command inside your community first (for example in a circle's channel), and then this will work here too.
host-one-left = Only { $name } is still in the circle now. You might carry on together, or close it gently with /circle end.
host-alone = You're the only one left in the circle now. You can close it gently with /circle end whenever you like.
host-floor-failed = I couldn't hold the floor for this circle: I'm missing a permission I need for it. The circle goes on, and anyone who speaks during someone else's turn still gets a gentle note.
host-member-unreachable = { $name } can't receive private messages from me, so they may miss their prompts and guides. You might check in with them.
host-member-unreachable-joining = { $name } asked to join, but can't receive private messages from me, so they haven't seen the agreements yet. You might check in with them.
resources-asked = Here is the crisis resources card. You can ask for it any time, and nobody else sees that you did.
resources-options = If you'd like a person from this community, /support asks a moderator to reach out to you.
checks-notice = Before you begin, so you know: attune checks the messages it can read for words about suicide or self-harm, so it can offer helplines privately. The check happens in memory and nothing you write is stored. You can turn it off with /crisis off, and back on with /crisis on.
care-host = A member of this circle may need care. You might consider a pause and a private check-in. The resources card is at /resources.
support-request = { $name } would like to talk with a moderator. Please reach out to them privately.
my-data-intro = Here is everything attune keeps about you.
forget-ask = This will delete everything attune keeps about you: your agreement, preferences, reminders and circle records. Pulse answers stay only as anonymous counts. Reply /forget-me confirm to go ahead.
forgotten = Done. I've deleted what attune kept about you. Circle records no longer name you, and any pulse answers remain only as anonymous counts.
forgotten-removal-kept = One thing stays for now: a host asked you to sit out a circle that is still open. That stays in place until the circle ends, and then it's deleted too.

## Suggestions and moderation

suggest-thanks = Thank you for the suggestion. It's with the moderators; you'll hear from me if it's added.
suggestion-accepted = A card you suggested has been added to this community's deck. Thank you.
suggestions-head = { $count ->
    [0] No suggestions are waiting.
    [one] One suggestion is waiting:
   *[other] { $count } suggestions are waiting:
}
suggestion-item = #{ $id }: { $text }
suggestion-approved = Suggestion #{ $id } is now card { $card } in the "suggested" deck, filed as a self-reflection card, theme presence, intensity light. To change it: /deck edit { $card } theme|intensity|cw VALUE.
suggestion-declined = Suggestion #{ $id } declined. The member isn't notified.
deck-list = Decks:
deck-item = • { $name } — { $title }: { $cards ->
    [one] one card
   *[other] { $cards } cards
}, { $practices ->
    [one] one practice
   *[other] { $practices } practices
}{ $state }
deck-head = Deck { $name } — { $title }
deck-card = { $id } [{ $kind } · { $theme } · { $intensity }]{ $state }: { $text }
card-text = Text: { $text }
card-guide = Listener guide: { $guide }
card-cw = Content notes: { $cw }
card-added = Added card { $id }.
deck-created = Created the deck { $name }. Add cards with /deck add { $name } KIND THEME INTENSITY TEXT.
card-edited = Updated card { $id }.
deck-remove-ask = This removes the deck { $name } and its { $cards ->
    [one] one card
   *[other] { $cards } cards
} for this community. To go ahead, say /deck remove { $name } confirm. (/deck export { $name } saves a copy first.)
removed-item = Removed { $name }.
enabled = Enabled { $name }.
disabled = Disabled { $name }.
deck-imported = Imported deck { $name } ({ $cards ->
    [one] 1 card
   *[other] { $cards } cards
}).
deck-exported = Deck { $name }, as a file:
settings-head = Community settings:
kv = { $key }: { $value }
setting-saved = Saved { $key }.
template-list = Templates:
template-item = • { $name }: turns of { $time }, up to { $max } people
template-head = Template { $name }:
template-saved = Template { $name }: { $key } is now { $value }.
circle-voice-taken = That voice channel is already linked to another circle that's still going, so this circle isn't linked to it. The circle runs as usual here.
template-floor-hold-encrypted = In an encrypted room hold works like nudge: there every message needs the same power, so holding the floor would also stop listeners from passing or leaving. To hold the floor, run the circle in an unencrypted room kept for it.
template-floor-hold-threads = A circle that runs in a thread can't hold the floor (Discord has no per-thread permissions), so there hold works like nudge. To hold the floor, open the circle with in: this channel, in a channel kept for it.
resources-unchanged = That's the card members get now, so nothing changed.
resources-saved = The crisis resources card is updated. Members see it with /resources, and after a crisis phrase.
settings-resources = { $custom ->
    [yes] Crisis resources: your community's own card. Change it with /resources set TEXT.
   *[no] Crisis resources: the default card (international and a few national helplines). To name help that fits your community, use /resources set TEXT.
}
template-created = Created the template { $name } with the standard shape. Change it with /template set { $name } KEY VALUE.

## Help

help-head = Here's what you can do here:
help-no-circle = • /circle open [template] [title] — open a witnessing circle in this channel
help-circle =
    • /circle join, /circle leave, /circle status
    • /away and /back — step away and keep your place
    • /pass — pass your turn, now or when it comes
    • /hand — in a raise-hand circle, ask to speak next
help-speaker = • During your turn: /done, /pass, /card (another prompt), /mode witness|reflections|feelings, /extend
help-host = • Hosting: /circle start, schedule TIME, pause, resume, next, move NAME POS, remove NAME, readmit NAME, cohost NAME [off], end
help-private =
    • /reflect [theme] — a private prompt (themes: emotions, body, needs, inner-voice, self-respect, presence, relationships, rest); /reflect deep for a deeper one
    • /practice [name], then /next — a short guided practice
    • /daily HH:MM|off|pause|resume, /quiet HH:MM-HH:MM|off, /timezone AREA/CITY
    • /mode witness|reflections|feelings — your usual choice for what comes back
    • /suggest TEXT — suggest a card
help-data =
    • /support — reach a moderator · /resources — helplines, any time, privately
    • /crisis on|off — checking your messages for words about suicide or self-harm (in memory, never stored)
    • /my-data — see what's kept · /forget-me — delete it
help-moderator = • Moderating: /deck list|show|new|add|edit|remove|enable|disable|import|export, /suggestions, /settings show|set, /template list|show|new|set, /resources set TEXT
help-leave-room = • /leave-room — attune says goodbye and leaves this room (end any circle here first). This community's decks and settings are kept, in case you invite attune back.
help-dashboard = • /dashboard — a private link to the moderator page, where decks, cards, circle shapes and settings are easier to read and change.
help-not-crisis = attune is peer support, not a crisis service. /resources lists helplines you can reach any time.

## Refusals: what was wrong, and what would work

refusal-bad-id = That name or id isn't one I can use.
refusal-bad-slug = "{ $given }" can't be used as a name. Names use lowercase letters, digits and dashes.
refusal-unknown-command = I don't know the command "{ $given }". Say /help to see what you can use here.
refusal-empty-command = A command needs a word after the /, like /help or /circle join.
refusal-usage = That's not quite the right shape. Try: { $usage }
refusal-command-too-long = That's longer than I can take (at most { $max } characters). Nothing was changed.
refusal-text-empty = That text is empty. Nothing was changed.
refusal-text-too-long = That text is { $given } characters; the most I can take here is { $max }. Nothing was changed.
refusal-text-invisible = That text contains invisible or direction-changing characters, which I can't accept. Please type it plainly.
refusal-text-one-line = A title fits on one line. Please send it again without the line break.
refusal-text-mention = That text would ping a whole group (like @everyone), which I can't post. Please leave that part out.
refusal-text-markup = That text contains markup or a mention (something inside < >), which I can't post. Plain text works best.
refusal-text-link = Links can't go here. Plain text works best.
refusal-no-circle = There's no circle running here. A host can open one with /circle open.
refusal-which-circle = More than one circle opened here is running in its own thread: { $titles }. Say it in the thread of the circle you mean.
refusal-opened-from-here = Your circle from this channel is still open, in the thread under its invitation. You'll find it there; end it first if you'd like to open another.
refusal-opens-hosts = In this community, circles are opened by its hosts and moderators. You're welcome to join any circle that's open.
refusal-opens-moderators = In this community, circles are opened by its moderators. You're welcome to join any circle that's open.
refusal-open-limit-member = You're hosting { $count ->
        [one] a circle
       *[other] { $count } circles
    } already, the newest in { $place }. Once one has ended, you can open another.
refusal-open-limit-channel = { $count ->
        [one] A circle opened from this channel is
       *[other] { $count } circles opened from this channel are
    } still open, the newest in { $place }. You're welcome to join one there, or to open another once one has ended.
refusal-option-unreadable = I couldn't read one of that command's options, so nothing was changed. Please try it again; /help shows what each command takes.
refusal-host-not-speaker = That's for the speaker to say when they're ready. As a host, you can move the circle on with /circle next.
refusal-title-private = I haven't opened the circle, so those words stay with you and aren't posted as its title. You're welcome to open it with another title, or without one.
refusal-turn-over = That was meant for a turn that has already ended, so I left the current turn as it is.
refusal-just-moved-on = The circle has just moved on to { $name }, so I left their turn as it is. If you meant their turn too, say /circle next again in a moment.
refusal-circle-over = That circle has already ended, so there's nothing more to do there.
refusal-pulse-closed = That question belongs to a circle whose pulse has closed. Thank you all the same.
refusal-circle-already = A circle is already running here. You can join it with /circle join.
refusal-needs-channel = That works in the channel where the circle is.
refusal-unknown-template = There's no template called "{ $given }". Moderators can see them with /template list.
refusal-already-joined = You're already in this circle.
refusal-not-in-circle = You're not in this circle. You can join with /circle join.
refusal-already-waiting = You're already on the waitlist. I'll tell you privately if a place opens for you.
refusal-late-join-closed = This circle has already begun and isn't taking new people. You're welcome in the next one.
refusal-not-host = Only this circle's hosts and moderators can do that.
refusal-not-moderator = Only moderators can do that.
refusal-too-few = This circle needs at least { $need } people to start; { $have ->
    [0] nobody has joined yet.
    [one] one person has joined so far.
   *[other] { $have } have joined so far.
}
refusal-already-started = This circle has already begun.
refusal-not-started = The circle hasn't started yet.
refusal-paused = The circle is paused right now.
refusal-not-paused = The circle isn't paused.
refusal-not-your-turn = That's for the person whose turn it is. You can /pass at any time.
refusal-no-turn = Nobody has the floor right now.
refusal-cannot-extend = More time isn't available for this turn.
refusal-no-such-member = I can't find "{ $name }" in this circle.
refusal-bad-position = Positions go from 1 (next to speak) to { $max }, among people still waiting to speak this round.
refusal-nothing-to-agree = There's nothing waiting for your agreement. When you join a circle, I'll show you the agreements first.
refusal-bad-pulse = The pulse is a number from 1 to 5, like /pulse 4.
refusal-no-pulse = There's no circle waiting for your pulse right now.
refusal-unknown-theme = "{ $given }" isn't one of the themes: emotions, body, needs, inner-voice, self-respect, presence, relationships, rest.
refusal-no-card = I couldn't find a card that fits right now.
refusal-unknown-practice = There's no practice called "{ $given }". Say /practice to see them.
refusal-no-practice = You don't have a practice going. Say /practice to see them.
refusal-bad-time = I couldn't read "{ $given }" as a time. Try HH:MM (like 19:30), "in 30m", or YYYY-MM-DD HH:MM.
refusal-bad-quiet = I couldn't read "{ $given }" as quiet hours. Try something like 22:00-07:00, or off.
refusal-bad-timezone = I don't know the time zone "{ $given }". Try a name like Europe/Lisbon or America/Chicago.
refusal-daily-in-quiet = That time is inside your quiet hours, so I wouldn't send anything then. Please pick another time, or change your quiet hours.
refusal-no-daily = You don't have a daily reflection set. Start one with /daily HH:MM.
refusal-time-in-past = That time has already passed. Please pick a time in the future.
refusal-rate-limited = That's a lot of commands in a short time, so I'll pause for a moment. Please try again in a minute.
refusal-unknown-deck = There's no deck or card called "{ $given }". See them with /deck list.
refusal-card-id-taken = The card id "{ $given }" is already used in another deck. Nothing was imported.
refusal-deck-file = That deck file can't be used: { $detail }. Nothing was changed.
refusal-unknown-field = "{ $given }" isn't something I can set. You can use: { $known }.
refusal-bad-value = That value doesn't work for { $key }: it needs { $detail }. Nothing was changed.
refusal-unknown-suggestion = There's no waiting suggestion #{ $id }.
refusal-guide-required = Sharing cards need a listener guide too: add it after " | ".
refusal-guide-not-allowed = Only sharing cards have a listener guide.
refusal-order-not-yet = This circle's order is drawn at random when it starts, so there's nothing to move yet. Once it has begun, you can move people who are still waiting to speak.
refusal-already-spoke = You've already had your turn this round. Thank you for sharing it.
refusal-too-far-ahead = That's more than a year away. Please pick a time within the next year.
refusal-cannot-schedule = I can't work out when that would next come round, so nothing was set.
refusal-no-such-template = There's no template called "{ $given }"; these exist: { $known }. To make a new one, use /template new { $given }.
refusal-no-such-deck = There's no deck called "{ $given }"; these exist: { $known }. To make a new one, use /deck new { $given }.
refusal-name-taken = "{ $given }" already exists. Nothing was changed.
refusal-circle-gathering = A circle is gathering here already. You can join it with /circle join.
refusal-move-speaker = { $name } is speaking now. You can move people who are still waiting to speak this round.
refusal-not-waiting = { $name } isn't waiting to speak this round, so there's no place to move them to.
refusal-pulse-answered = You've already answered. Thank you.
refusal-nothing-to-pass = You've had your turn this round, so there's nothing to pass.
refusal-removed = A host has asked you to sit this circle out, so you can't join it again. If you'd like to talk about it, /support reaches the moderators.
refusal-not-removed = "{ $name }" hasn't been removed from this circle.
refusal-outranked = Only the person who opened this circle and moderators can do that to a co-host or the opener.
refusal-already-opener = They opened this circle, so they already host it.
refusal-not-yourself = That's for acting on someone else. To step out yourself, use /circle leave.
refusal-name-empty = Your display name has no letters I can show once invisible characters are taken out. Please pick a name with visible letters, then try again.
refusal-cannot-leave-here = { $platform ->
    [discord] I can't leave just one channel. To remove me from this server, a moderator can use Server Settings → Integrations.
   *[other] There's only this one place here, so there's nowhere for me to leave. To stop me, close the console.
}
refusal-leave-while-circle = There's still a circle open or scheduled here, so I'll stay for now: nobody should be left mid-turn. End it with /circle end, then ask me again.
refusal-ambiguous-name = More than one person here could be "{ $name }", so I haven't guessed. Please use the name exactly as /circle status shows it.
refusal-no-hands = This circle goes round in order, so there's no need to raise a hand.

## Console

console-welcome = attune console — a local witnessing circle, with nothing to set up. Type NAME: TEXT to speak as NAME (commands start with /), or "help". Ctrl-D to leave.
console-bad-line = I read lines as NAME: TEXT, for example "alice: /circle join". Try "help".
console-bad-name = Names in the console are plain: visible letters and digits, no spaces, invisible characters, @ or < >. Try a name like "alice".
console-unreadable-line = I couldn't read that line (it isn't valid UTF-8 text), so I skipped it. Nothing was changed.
console-line-too-long = That line is longer than I can read (at most 16 KB), so I skipped it. Nothing was changed.
console-moderator = { $name } is this console's moderator, also after a restart of the same database. Start with --moderator NAME to choose someone else.
console-advanced = The clock moved on by { $time }.
console-file-unreadable = I couldn't read the file "{ $path }".
console-support = [to moderators] { $name } would like to talk with a moderator.
store-unavailable = I couldn't save or read that just now, so nothing changed. Please try again in a moment.
store-quarantined = This community's records need a moderator's attention, so I can't do that right now. A moderator can run attune doctor to see why. /resources and /support still work.

## Command line (attune deck validate, attune doctor)

cli-deck-valid = { $file }: ok — deck { $name } with { $cards ->
    [one] one card
   *[other] { $cards } cards
} and { $practices ->
    [one] one practice
   *[other] { $practices } practices
}
cli-doctor-decks = decks: ok ({ $decks ->
    [one] one deck
   *[other] { $decks } decks
}, { $cards ->
    [one] one card
   *[other] { $cards } cards
}); resources card: { $chars } characters
cli-doctor-database = database: ok ({ $path }, { $count ->
    [one] one community
   *[other] { $count } communities
}; integrity checked, every stored record readable)

## Discord (button labels, private-thread fallback)

button-join = Join
button-leave = Leave
button-agree = I agree
button-done = Done
button-pass = Pass
button-extend = More time
button-card = Another card
button-card-show = Show me the card
button-mode-witness = Just witness
button-mode-reflections = Reflections welcome
button-mode-feelings = Feelings only
button-next = Next step
button-support = Talk to a moderator
button-crisis-wrong = This was wrong
button-crisis-off = Don't check my messages
button-forget-confirm = Yes, forget me
discord-private-thread = A private note from attune
discord-private-thread-intro = I couldn't send you a direct message (your DMs are closed to me), so I opened this private thread for you. Other members can't see it; on Discord, the server's moderators and admins can.
discord-done = Done.
discord-circle-thread = Circle
discord-button-elsewhere = I can't take this button from here, sorry. Nothing was changed.
discord-button-unknown = That button is from an older version of attune and no longer works. The command does the same: try /help.
discord-form-unknown = That form is from an older version of attune and no longer works. Please open it again with its command.
discord-modal-add-title = A new card
discord-modal-edit-title = Edit a card
discord-modal-suggest-title = Suggest a card
discord-modal-card-text = The card's text
discord-modal-card-guide = The listener guide
discord-modal-new-value = The new value
discord-modal-suggest-text = Your card, as you'd like members to read it
discord-support-thread = Talking with a moderator
discord-support-thread-intro = { $name } would like to talk with a moderator. This is a private thread: only the people added to it (and server staff who manage threads) can see it.
discord-embed-card = A card for you
discord-embed-guide = For listeners
cli-doctor-discord-connected = connected to { $base } as { $name }
cli-doctor-discord-refused = { $base } did not accept ATTUNE_DISCORD_TOKEN (it may have been reset: copy a new one from the Developer Portal, Bot → Reset Token)
cli-doctor-discord-unreachable = could not reach { $base } ({ $error }), so the intents and permissions were not checked
cli-doctor-discord-content-on = the Message Content intent is enabled: crisis signposting and floor nudges can read messages in circle channels
cli-doctor-discord-content-missing = the Message Content intent is not enabled for this application, so attune can't connect while asking for it. Enable it in the Developer Portal (Bot → Privileged Gateway Intents), or set [discord] message_content = false. Without it, crisis signposting and floor nudges can't read messages in circle channels; circles, prompts and reflections still run by slash commands and buttons.
cli-doctor-discord-content-off = message_content = false: crisis signposting and floor nudges don't read messages in circle channels (direct messages to the bot are still read); circles, prompts and reflections run by slash commands and buttons
cli-doctor-discord-app-unknown = the application's settings could not be read ({ $error }), so the Message Content intent was not checked
cli-doctor-discord-guilds-unknown = the bot's servers could not be listed ({ $error }), so permissions were not checked
cli-doctor-discord-not-in-guild = the bot is not in the server { $id } (discord.dev_guild): invite it with the link in the README
cli-doctor-discord-no-guilds = the bot is not in any server yet: invite it with the link in the README
cli-doctor-discord-guild-ok = in { $guild } ({ $id }): every permission attune uses is granted
cli-doctor-discord-guild-missing = in { $guild } ({ $id }), attune lacks: { $missing }
cli-doctor-discord-perm-view = View Channels (to see the channels circles run in)
cli-doctor-discord-perm-send = Send Messages (invitations, turns and prompts)
cli-doctor-discord-perm-embed = Embed Links (cards and listener guides are shown as embeds)
cli-doctor-discord-perm-attach = Attach Files (my-data and deck exports are files)
cli-doctor-discord-perm-send-threads = Send Messages in Threads (circle threads, private notes and support threads)
cli-doctor-discord-perm-public-threads = Create Public Threads (each circle runs in a thread made from its invitation)
cli-doctor-discord-perm-private-threads = Create Private Threads (private notes when a member's DMs are closed, and support threads)
cli-doctor-discord-overwrites = discord: in { $guild }, { $channels } have permission overwrites that carry permissions attune lacks, so floor hold there can't change them: a role with one keeps sending while someone speaks, and a speaker with one gets a turn that isn't held. If circles hold the floor there, give attune Manage Permissions in that channel (Edit Channel → Permissions).
cli-doctor-discord-perm-manage-roles = Manage Roles (floor hold in a channel changes who may send there; give attune "Manage Permissions" in that channel too, so it can edit overwrites that carry permissions it lacks)
cli-doctor-discord-perm-mute = Mute Members (floor hold in voice circles mutes everyone but the speaker and hosts)
cli-doctor-discord-perm-events = Manage Events (a scheduled circle is listed in the server's Events; without it circles are scheduled as before, with no event)
leave-room-goodbye = A moderator asked me to leave this room, so I'm going now. Thank you for the listening shared here. If you'd like what I keep about you deleted, /forget-me still works in a private chat with me.
matrix-private-closed = { $name }, I couldn't open a private chat with you, so what I meant to send you privately hasn't reached you. If you start a direct chat with me, I'll answer you there.
matrix-private-shared = This room isn't just the two of us any more, so I'm leaving it. Anything private I send you will come in a new direct chat.
matrix-react = React to answer: { $choices }
matrix-undecryptable = I couldn't read the message you just sent (it was encrypted, and the keys to read it never reached me). Nothing was lost on your side. If it was meant for me, please send it again; if this keeps happening, closing and reopening your Matrix app usually helps it share keys.
matrix-support-room = Talking with a moderator
matrix-support-room-intro = { $name } would like to talk with a moderator. This room is private: only the people invited to it can read it.

## Crisis words are never content
refusal-words-kept = That didn't work, and I've kept your words out of this reply. Say /help to see what you can use here and how to write it.
refusal-suggestion-held = Suggestion #{ $id } can't become a card: its words read like someone who may be struggling. You can decline it.
refusal-nothing-to-confirm = Nothing is waiting for you to confirm. Held changes wait ten minutes; send the command again if you still want it.
suggest-held = Thank you. I haven't passed this one on: words like these stay private, so they don't become cards for others. If they're about you right now, /resources and /support are here for you.
suggestion-item-held = #{ $id }: held back, because its words read like someone who may be struggling. Its text isn't shown.
suggestions-held = { $count ->
    [one] Since suggestions were last listed, one was held back because it read like someone who may be struggling. Its words weren't kept, and the member was offered the resources card.
   *[other] Since suggestions were last listed, { $count } were held back because they read like someone who may be struggling. Their words weren't kept, and the members were offered the resources card.
}
content-held-card = This card's words read like someone in crisis, so I haven't saved it yet. A card about such feelings can be right; members may draw it without warning, though, so please be sure.
content-held-import = Some words in this deck read like someone in crisis, so I haven't imported it yet. Cards about such feelings can be right; members may draw them without warning, though, so please be sure.
content-held-resources = These resources use words about suicide or self-harm. That is often right for a resources card, and I'll save it once you confirm.
content-held-how = If it's meant, send the same again within ten minutes (or say confirm, where you can type commands). If these words are about you, /resources and /support are here for you too.

## Danger under way: the short card, emergency number first
crisis-now-emergency = { $emergency }
crisis-now-emergency-default = If you are in immediate danger, please call your local emergency number now: 112 in the EU, 911 in the US and Canada, 999 in the UK.
crisis-now-more = You don't have to be alone with this. /resources lists helplines you can call or text right now, and /support asks a moderator to reach out to you.
care-host-now = A member of this circle may need care right now. You might pause the circle and check in privately. The resources card is at /resources.
content-held-agreements = These agreements use words that read like someone in crisis, so I haven't saved them yet. Every member who joins a circle is shown them, so please be sure.

## The moderator page
dashboard-link = Here is your link to the moderator page. It works once, for the next { $minutes } minutes, and signs whoever opens it in as you, so please keep it to yourself: { $link }
dashboard-off = The moderator page isn't available here yet. Everything on it can also be done with the deck, template, settings and suggestions commands.
# The same answers on the moderator page, where chat's commands would be the wrong advice.
page-deck-created = Created the deck { $name }. Open it to add cards.
page-deck-remove-ask = This removes the deck { $name } and its { $cards ->
    [one] one card
   *[other] { $cards } cards
} for this community. To go ahead, tick "Yes, remove the whole deck" and press Remove deck again. (Export saves a copy first.)
page-refusal-guide-required = Sharing cards need a listener guide too: please fill in "Listener guide".
page-refusal-unknown-deck = There's no deck or card called "{ $given }" any more; it may have just been removed.
page-refusal-no-such-deck = There's no deck called "{ $given }" any more; it may have just been removed.
page-template-created = Created the circle shape { $name } with the standard settings. Change it below.
page-suggestion-approved = Suggestion #{ $id } is now card { $card } in the "suggested" deck, filed as a self-reflection card, theme presence, intensity light. You can change it in that deck.
page-content-held-how = If it's meant, press "Yes, I mean it: save it" below. If these words are about you, the resources card is always there for you, and so are the other moderators.
