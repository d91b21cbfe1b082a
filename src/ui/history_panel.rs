//! The history panel: a slider over every position of the board's log, a strip showing when
//! events happened and on which device, and the list of events; and the banner shown while the
//! board on screen is a past version.

use chronicle_board::{Board, BoardProjections, History, device_label};
use chronicle_core::Uuid;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::board_context::BoardContext;
use super::feed::FeedRow;
use crate::clock::{date_time, now};
use crate::service::SharedHistory;
use crate::transfer::{download, file_name};

/// Height of one row of the event list, in pixels: rows are placed by position, so only the
/// rows in view are ever drawn, however long the history.
const ROW: u64 = 52;
/// Rows drawn beyond those in view, above and below.
const OVERSCAN: u64 = 6;
/// Height of the event list, in pixels.
const LIST_HEIGHT: u64 = 312;
/// Bars of the density strip.
const BUCKETS: usize = 60;
/// Events the density strip looks at, at most: a longer history is sampled evenly, so that the
/// strip costs the same on every edit however long the board's past. Its bars are relative, and
/// a sample this size draws them as a full count would, to well within a pixel.
const STRIP_SAMPLES: usize = 20_000;
const DEVICE_COLOURS: [&str; 6] = ["#3f51b5", "#00897b", "#e65100", "#8e24aa", "#c62828", "#2e7d32"];

/// The density strip's box: a bar is [`BAR_WIDTH`] wide in a slot of [`SLOT`], and the tallest
/// reaches the top. Whole numbers, so that drawing a bar formats no fractions.
const SLOT: u32 = 100;
const BAR_WIDTH: u32 = 80;
const STRIP_HEIGHT: u32 = 2_000;

/// One bar of the density strip, in the strip's box.
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    x: u32,
    y: u32,
    height: u32,
    colour: &'static str,
}

/// The density strip: its bars, and each device's name and colour.
#[derive(Debug, Clone, Default, PartialEq)]
struct Strip {
    bars: Vec<Bar>,
    devices: Vec<(String, &'static str)>,
}

/// For each slice of the board's lifetime, how many events each device made; devices are named
/// as `present`, the board now, knows them. The devices that made most events get a colour each
/// and the rest share the last one, so the strip and its legend stay small however many devices
/// a board has seen.
fn density(history: &History, present: &Board, this_device: Uuid) -> Strip {
    // Each event's time and device, a tenth of the memory of the events: this reads a sample of
    // the whole history on every change while the panel is open.
    let stamps = history.stamps();
    let (Some(first), Some(last)) = (stamps.first(), stamps.last()) else { return Strip::default() };
    // Times are whatever devices recorded, in any order: the arithmetic saturates, and a time
    // before the first event's or after the last one's counts in the first or the last slot.
    let span = last.at.saturating_sub(first.at).max(1) as u64;
    let slot = |at: i64| {
        let since = at.saturating_sub(first.at).clamp(0, span as i64) as u64;
        // Rounded to the nearest slot, in whole numbers: this runs for every sampled event, so
        // in 64 bits (wasm has no 128-bit division) unless a clock far off makes that overflow.
        let scaled = since.checked_mul(BUCKETS as u64 - 1).and_then(|s| s.checked_add(span / 2));
        match scaled {
            Some(scaled) => (scaled / span) as usize,
            None => ((u128::from(since) * (BUCKETS as u128 - 1) + u128::from(span / 2)) / u128::from(span)) as usize,
        }
    };
    // Sampled events per device, by the device's place in the history (the order the log first
    // names them in).
    let devices = history.devices();
    let mut made = vec![0u32; devices.len()];
    let sampled = || stamps.iter().step_by(stamps.len().div_ceil(STRIP_SAMPLES).max(1));
    for stamp in sampled() {
        made[stamp.device as usize] += 1;
    }
    // A stable sort: devices with as many events stay in the order they were first seen in.
    let mut ranked: Vec<(usize, u32)> = made.into_iter().enumerate().filter(|(_, count)| *count > 0).collect();
    ranked.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    let own = if ranked.len() <= DEVICE_COLOURS.len() { ranked.len() } else { DEVICE_COLOURS.len() - 1 };
    let mut colour_of = vec![0; devices.len()];
    for (i, (device, _)) in ranked.iter().enumerate() {
        colour_of[*device] = i.min(own);
    }
    let mut counts = vec![[0u32; DEVICE_COLOURS.len()]; BUCKETS];
    for stamp in sampled() {
        counts[slot(stamp.at)][colour_of[stamp.device as usize]] += 1;
    }
    let top = u64::from(counts.iter().map(|c| c.iter().sum::<u32>()).max().unwrap_or(1).max(1));
    // Where a stack of `below` events ends, from the strip's top; each bar spans from where the
    // stack under it ends, so the bars of a slot meet exactly.
    let edge = |below: u64| STRIP_HEIGHT - (below * u64::from(STRIP_HEIGHT)).div_ceil(top) as u32;
    let mut bars = Vec::new();
    for (b, row) in counts.iter().enumerate() {
        let mut below = 0;
        for (colour, count) in row.iter().enumerate().filter(|(_, c)| **c > 0) {
            let bottom = edge(below);
            below += u64::from(*count);
            let y = edge(below);
            bars.push(Bar { x: b as u32 * SLOT, y, height: bottom - y, colour: DEVICE_COLOURS[colour] });
        }
    }
    let mut devices: Vec<(String, &'static str)> = ranked[..own]
        .iter()
        .enumerate()
        .map(|(i, (d, _))| (device_label(present, devices[*d], this_device), DEVICE_COLOURS[i]))
        .collect();
    if ranked.len() > own {
        devices.push((format!("{} other devices", ranked.len() - own), DEVICE_COLOURS[own]));
    }
    Strip { bars, devices }
}

/// The history panel.
#[component]
pub(crate) fn HistoryPanel() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let now = Memo::new(move |_| context.shown.with(|p| p.position));
    let position = Memo::new(move |_| context.viewing.get().unwrap_or_else(|| now.get()));
    let open = RwSignal::new(false);
    let history: RwSignal<Option<SharedHistory>, LocalStorage> = RwSignal::new_local(None);
    // Read when the panel opens; the open board keeps it in step after that, and every change
    // of the board on screen shows it again.
    Effect::new(move |_| {
        context.shown.track();
        if open.get() {
            spawn_local(async move {
                if let Some(h) = context.history().await {
                    history.set(Some(h));
                }
            });
        }
    });
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Arrows step one event, Home and End go to the start and to now (the slider's own keys);
        // Page Up and Page Down step ten.
        let step = match ev.key().as_str() {
            "PageUp" => 10i64,
            "PageDown" => -10,
            _ => return,
        };
        ev.prevent_default();
        let target = (position.get_untracked() as i64 + step).clamp(0, now.get_untracked() as i64);
        context.view_at(target as u64);
    };
    let device = context.ws.service().device();
    let strip = Memo::new(move |_| {
        let strip = |present: &BoardProjections| {
            history.with(|h| h.as_ref().map(|h| h.with(|h| density(h, &present.board, device)))).unwrap_or_default()
        };
        context.shown.with(strip)
    });
    view! {
        <details class="panel history" on:toggle=move |ev| {
            open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open());
        }>
            <summary>"History"</summary>
            <p class="small muted">"Drag through time to see the board as it was. Nothing changes until you restore a version."</p>
            <svg class="density" viewBox=format!("0 0 {} {STRIP_HEIGHT}", BUCKETS as u32 * SLOT) preserveAspectRatio="none" role="img"
                aria-label="When changes were made, and on which device">
                {move || strip.get().bars.into_iter().map(|bar| view! {
                    <rect x=bar.x.to_string() y=bar.y.to_string() width=BAR_WIDTH.to_string()
                        height=bar.height.to_string() fill=bar.colour />
                }).collect_view()}
            </svg>
            <ul class="legend devices small">
                {move || strip.get().devices.into_iter().map(|(name, colour)| view! {
                    <li><span class="swatch" style=format!("background:{colour}")></span>{name}</li>
                }).collect_view()}
            </ul>
            <input type="range" class="scrubber" aria-label="History" min="0" max=move || now.get().to_string() step="1"
                prop:value=move || position.get().to_string()
                aria-valuetext=move || format!("Event {} of {}", position.get(), now.get())
                on:input=move |ev| {
                    if let Ok(target) = event_target_value(&ev).parse::<u64>() {
                        context.view_at(target);
                    }
                }
                on:keydown=keydown />
            <EventList history position open />
            <div class="history-actions">
                <button class="small" on:click=move |_| {
                    spawn_local(async move {
                        let name = context.shown.with_untracked(|p| p.board.name().to_owned());
                        let result = match context.board().export().await {
                            Ok(lines) => download(&file_name(&name), &lines),
                            Err(e) => Err(e.to_string()),
                        };
                        if let Err(e) = result {
                            context.ws.tell(format!("The history could not be exported. {e}"));
                        }
                    });
                }>"Export history"</button>
                <span class="small muted">"One change per line, to keep or to import as a new board."</span>
            </div>
        </details>
    }
}

/// The list of events, drawn only where it is scrolled to, while the panel is `open`.
#[component]
fn EventList(
    history: RwSignal<Option<SharedHistory>, LocalStorage>,
    position: Memo<u64>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let scroller = NodeRef::<html::Div>::new();
    let top = RwSignal::new(0u64);
    let total = Memo::new(move |_| history.with(|h| h.as_ref().map_or(0, |h| h.with(History::len))));
    let device = context.ws.service().device();
    let visible = Memo::new(move |_| {
        let first = (top.get() / ROW).saturating_sub(OVERSCAN) + 1;
        let last = ((top.get() + LIST_HEIGHT) / ROW + OVERSCAN).min(total.get());
        let at = now();
        context.shown.with(|present| {
            // The newest rows are in the feed already; older ones are described again from the log.
            let entries = present.activity.entries(first, last).unwrap_or_else(|| {
                history.with(|h| h.as_ref().map(|h| h.with(|h| h.entries(first, last)))).unwrap_or_default()
            });
            entries.into_iter().map(|entry| FeedRow::new(entry, &present.board, device, at)).collect::<Vec<_>>()
        })
    });
    // The event at the cursor stays in view. Only while the panel is open, and from the scroll
    // position the list was last told of: asking the element would make the browser lay out the
    // whole page there and then, which cost a board's first draw tens of milliseconds. Setting
    // it does too, so that waits for the next frame, when the page is laid out once with the
    // change that moved the cursor (a new card, say) rather than once for the scroll and again
    // for the change.
    Effect::new(move |_| {
        let at = position.get();
        let _ = total.get();
        if !open.get() || scroller.get().is_none() {
            return;
        }
        let row_top = at.saturating_sub(1) * ROW;
        let scrolled = top.get_untracked();
        if row_top < scrolled || row_top + ROW > scrolled + LIST_HEIGHT {
            request_animation_frame(move || {
                if let Some(element) = scroller.get_untracked() {
                    element.set_scroll_top(row_top.saturating_sub(LIST_HEIGHT / 2) as i32);
                }
            });
        }
    });
    view! {
        <div class="event-scroll" node_ref=scroller style=format!("height:{LIST_HEIGHT}px")
            on:scroll=move |_| {
                if let Some(element) = scroller.get_untracked() {
                    top.set(element.scroll_top().max(0) as u64);
                }
            }>
            {move || (history.with(Option::is_none)).then(|| view! { <HistoryReading /> })}
            <ol aria-label="Events" class="event-list" style=move || format!("height:{}px", total.get() * ROW)>
                <For each=move || visible.get() key=FeedRow::key let:row>
                    {
                        let at = row.entry.position;
                        view! {
                            <li style=format!("top:{}px;height:{ROW}px", (at - 1) * ROW) class:current=move || position.get() == at>
                                <button class="event-row" aria-current=move || (position.get() == at).then_some("step")
                                    on:click=move |_| context.view_at(at)>
                                    <span class="event-text">{row.entry.text.clone()}</span>
                                    <span class="event-meta small muted">{row.meta.clone()}</span>
                                </button>
                            </li>
                        }
                    }
                </For>
            </ol>
        </div>
    }
}

/// "Reading the history…", with how far the read has come, while the board's history is read for
/// the first time (seconds on a long board).
#[component]
pub(crate) fn HistoryReading() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    view! {
        <p class="small muted reading" role="status">"Reading the history…"
            <progress max="100" value=move || context.history_read.get() aria-label="Reading the history"></progress>
        </p>
    }
}

/// The line above a past version of the board: which version, when, and the way back.
#[component]
pub(crate) fn PastBanner() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let label = move || {
        let now = context.shown.with(|p| p.position);
        let at = context.viewing.get().unwrap_or(now);
        let when = context.with_view(|p| p.activity.recent().next().map(|e| e.at));
        match (at, when) {
            (0, _) => format!("Viewing history: before the first event, {now} events ago"),
            (_, Some(when)) => format!("Viewing history: event {at} of {now}, {}", date_time(when)),
            (_, None) => format!("Viewing history: event {at} of {now}"),
        }
    };
    view! {
        <Show when=move || context.in_the_past()>
            <div class="past-banner" role="status" aria-label="Viewing history">
                <span>{label}</span>
                <span class="spacer"></span>
                <button class="primary small" on:click=move |_| {
                    error.set(context.restore_viewed().err().map(|r| r.to_string()));
                }>"Restore this version"</button>
                <button class="small" on:click=move |_| context.back_to_now()>"Back to now"</button>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use chronicle_board::{Board, BoardEvent, History};
    use chronicle_core::{Event, Uuid};

    use super::{BAR_WIDTH, BUCKETS, SLOT, STRIP_HEIGHT, Strip, density};

    /// The strip of a history of renames, each made at a time by a device, seen from `here`.
    fn strip_of(made: &[(i64, Uuid)], here: Uuid) -> Strip {
        let rename = BoardEvent::BoardRenamed { name: "n".into() };
        let events = made
            .iter()
            .enumerate()
            .map(|(i, (at, device))| {
                Event::new(Uuid::from_u128(100 + i as u128), Uuid::from_u128(9), *device, *at, rename.clone())
            })
            .collect();
        density(&History::new(events), &Board::default(), here)
    }

    /// The strip of a history of one device's renames, made at `times`.
    fn strip_of_times(times: &[i64]) -> Strip {
        let device = Uuid::from_u128(1);
        strip_of(&times.iter().map(|at| (*at, device)).collect::<Vec<_>>(), device)
    }

    #[test]
    fn the_strips_bars_stack_without_gaps_and_the_busiest_slot_fills_it() {
        let (here, there) = (Uuid::from_u128(1), Uuid::from_u128(2));
        // Seven events early on (three of them from the other device), one at the end: at
        // sevenths of the strip's height, the bars' edges fall between whole units.
        let made = [(0, here), (0, there), (1, here), (2, there), (3, here), (4, there), (5, here), (10_000, here)];
        let strip = strip_of(&made, here);

        assert_eq!(strip.devices.len(), 2);
        let first: Vec<_> = strip.bars.iter().filter(|b| b.x == 0).collect();
        assert_eq!(first.len(), 2, "both devices in the first slot");
        assert_eq!(first[0].y + first[0].height, STRIP_HEIGHT, "the lowest bar stands on the bottom");
        assert_eq!(first[1].y + first[1].height, first[0].y, "the next one starts where it ends");
        assert_eq!(first[1].y, 0, "the busiest slot reaches the top");
        let last: Vec<_> = strip.bars.iter().filter(|b| b.x == (BUCKETS as u32 - 1) * SLOT).collect();
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].height, STRIP_HEIGHT.div_ceil(7), "one event of seven");
        assert!(strip.bars.iter().all(|b| b.x % SLOT == 0 && b.x + BAR_WIDTH <= BUCKETS as u32 * SLOT));
    }

    #[test]
    fn events_stamped_out_of_order_land_in_the_strips_end_slots() {
        // The first and last events span 1,000 ms; one came from a clock far behind, one from a
        // clock far ahead, and one sits halfway (slot 29.5, rounded up).
        let strip = strip_of_times(&[1_000, -5_000_000, 1_500, i64::MAX, 2_000]);
        let slots: Vec<u32> = strip.bars.iter().map(|b| b.x / SLOT).collect();
        assert_eq!(slots, [0, 30, 59]);
        let heights: Vec<u32> = strip.bars.iter().map(|b| b.height).collect();
        assert_eq!(heights, [STRIP_HEIGHT, STRIP_HEIGHT / 2, STRIP_HEIGHT], "two events, one, two");
    }

    #[test]
    fn a_lifetime_too_long_for_64_bit_slot_arithmetic_still_spreads_over_the_strip() {
        // From the epoch to the latest time there is: a span whose slot arithmetic needs more
        // than 64 bits. A quarter of it in, then three quarters (slots 14.75 and 44.25).
        let strip = strip_of_times(&[0, i64::MAX / 4, i64::MAX / 4 * 3, i64::MAX]);
        let slots: Vec<u32> = strip.bars.iter().map(|b| b.x / SLOT).collect();
        assert_eq!(slots, [0, 15, 44, 59]);
    }
}
