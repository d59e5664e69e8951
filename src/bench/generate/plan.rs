//! The life of every Measurement Set in a benchmark database, planned in Rust from its number:
//! when it was observed, how it ended (done, failed, skipped, still in progress), the jobs that
//! ran on it with their times and failures, and the state it is left in. Pure functions of
//! (scale, now, MS number); the row builders turn these plans into table rows.
//!
//! The mix: ~90 % of MS are done (8 % of them after one failed, retried attempt), ~3 % failed (a
//! third terminally), ~2 % skipped for lack of calibration tables (in blocks of ~5 h, as caltable
//! gaps come), ~2 % `discovered` and ~3 % `converted`. Those last two are the MS of the last
//! ~30 and ~70 minutes, which wait for conversion or are being calibrated or imaged (the only
//! pending and running jobs), and, in a history longer than a day, MS the pipeline left behind
//! in those states (no job waits for them; their `ms_state` stays `pending` or `converted`).

use crate::bench::Scale;
use crate::demo::errors::Stage;
use crate::demo::names::{field_name, group_id, run_id};
use crate::demo::sky::meridian_ra_deg;
use crate::text::format::unix_to_mjd;

use super::failures::{self, Failure, FailureContext};
use super::mix::Draw;

/// One observation: 16 subbands, about 309 s.
pub const OBS_SECONDS: f64 = 309.0;
/// The declination the array points at (a transit instrument: RA follows the clock).
pub const POINTING_DEC_DEG: f64 = 41.5;
pub const MS_DIR: &str = "/stage/dsa110-contimg/ms";
pub const IMAGES_DIR: &str = "/stage/dsa110-contimg/images";
pub const CALTABLES_DIR: &str = "/stage/dsa110-contimg/caltables";

/// MS that ended less than this long ago wait for conversion (or are being converted); those
/// up to the second figure are in calibration or imaging. At 280 MS a day these are 2 % and
/// 3 % of a day's MS.
const QUEUED_WINDOW_S: f64 = 0.02 * 86_400.0;
const IN_PROGRESS_WINDOW_S: f64 = 0.05 * 86_400.0;
/// Overall shares of `discovered` and `converted` MS: beyond the newest, left-behind MS make
/// up the rest.
const DISCOVERED_SHARE: f64 = 0.02;
const CONVERTED_SHARE: f64 = 0.03;
/// Caltable gaps come in blocks of this many consecutive MS (~4.8 h), this often.
const GAP_BLOCK: u64 = 56;
const GAP_CHANCE: f64 = 0.021;
/// Chance a historical MS failed for good or is waiting for a retry.
const FAIL_CHANCE: f64 = 0.032;
/// Chance a done MS needed one retry on its way.
const RETRY_CHANCE: f64 = 0.08;

/// Salts of the per-MS draws, so each decision is independent of the others.
const SALT_MS: u64 = 0x4D53;
const SALT_GAP: u64 = 0x6741;
const SALT_RUN: u64 = 0x5255;

pub fn ms_path(gid: &str) -> String {
    format!("{MS_DIR}/{gid}.ms")
}

/// The primary-beam-corrected image WSClean writes for an MS (the name the demo uses).
pub fn pbcor_path(gid: &str) -> String {
    format!("{IMAGES_DIR}/{gid}.img-image-pbcor.fits")
}

/// When each MS was observed: `scale.ms` observations evenly over `scale.days`, the newest
/// ending a minute before `now`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeframe {
    pub n: u64,
    pub now: f64,
    pub cadence: f64,
}

impl Timeframe {
    pub fn new(scale: &Scale, now: f64) -> Timeframe {
        let n = scale.ms.max(1);
        Timeframe {
            n,
            now,
            cadence: scale.days.max(1) as f64 * 86_400.0 / n as f64,
        }
    }

    /// Start of MS `i` (0 = oldest), on a whole second.
    pub fn start(&self, i: u64) -> f64 {
        (self.now - OBS_SECONDS - 60.0 - (self.n - 1 - i) as f64 * self.cadence).floor()
    }

    /// 0 for the newest MS.
    fn rank(&self, i: u64) -> u64 {
        self.n - 1 - i
    }

    fn queued_count(&self) -> u64 {
        ((QUEUED_WINDOW_S / self.cadence).ceil() as u64).min(self.n)
    }

    fn in_progress_count(&self) -> u64 {
        ((IN_PROGRESS_WINDOW_S / self.cadence).ceil() as u64).min(self.n)
    }

    /// Chances that an older MS was left `discovered` or `converted`, so the whole history has
    /// the documented shares.
    fn stall_chances(&self) -> (f64, f64) {
        let n = self.n as f64;
        let (queued, busy) = (self.queued_count() as f64, self.in_progress_count() as f64);
        let older = (n - busy).max(1.0);
        (
            ((DISCOVERED_SHARE * n - queued) / older).max(0.0),
            ((CONVERTED_SHARE * n - (busy - queued)) / older).max(0.0),
        )
    }
}

/// Where a running calibration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalStep {
    FlaggingRfi,
    SolvingCal,
    ApplyingCal,
}

impl CalStep {
    const ALL: [CalStep; 3] = [
        CalStep::FlaggingRfi,
        CalStep::SolvingCal,
        CalStep::ApplyingCal,
    ];

    fn state(self) -> &'static str {
        match self {
            CalStep::FlaggingRfi => "flagging_rfi",
            CalStep::SolvingCal => "solving_cal",
            CalStep::ApplyingCal => "applying_cal",
        }
    }

    fn previous_state(self) -> &'static str {
        match self {
            CalStep::FlaggingRfi => "converted",
            CalStep::SolvingCal => "flagging_rfi",
            CalStep::ApplyingCal => "solving_cal",
        }
    }

    fn ms_stage(self) -> &'static str {
        match self {
            CalStep::ApplyingCal => "calibration",
            _ => "calibration_solve",
        }
    }
}

/// How an MS's processing went (or where it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every stage completed; `retried` had one failed attempt first.
    Done {
        retried: Option<Stage>,
    },
    /// `stage` failed `attempts` times; `terminal` needs a person (`error`), else it waits
    /// for a retry (`failed`).
    Failed {
        stage: Stage,
        attempts: u32,
        terminal: bool,
    },
    /// No valid calibration tables for its time.
    Skipped,
    /// Waiting for conversion.
    Queued,
    /// Left behind: discovered, never converted; or converted, never calibrated.
    StalledDiscovered,
    StalledConverted,
    Converting,
    Calibrating(CalStep),
    Imaging,
}

/// What a job is at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Running,
    Completed,
    Failed,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
        }
    }
}

/// One job row of an MS.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub stage: Stage,
    pub state: JobState,
    pub created: f64,
    pub started: Option<f64>,
    pub finished: Option<f64>,
    pub failure: Option<Failure>,
    /// The exception of the attempt this one retries.
    pub retry_of: Option<String>,
    pub worker: u32,
    /// `jobs.id`, assigned once every MS is planned (ids follow creation time).
    pub id: i64,
}

/// The `ms_state` row, minus what the MS itself gives.
#[derive(Debug, Clone, PartialEq)]
pub struct StatePlan {
    pub current: &'static str,
    pub previous: Option<&'static str>,
    pub transition: f64,
    pub retry_count: i64,
    pub error: Option<String>,
}

/// One calibration applied (or failing to apply) to the MS.
#[derive(Debug, Clone, PartialEq)]
pub struct CalUse {
    pub at: f64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MsPlan {
    pub i: u64,
    pub group_id: String,
    pub run_id: String,
    pub ms_path: String,
    pub start_unix: f64,
    pub discovered_at: f64,
    pub start_mjd: f64,
    pub end_mjd: f64,
    pub mid_mjd: f64,
    pub ra_deg: f64,
    pub dec_deg: f64,
    pub field_name: String,
    pub outcome: Outcome,
    pub attempts: Vec<Attempt>,
    pub state: StatePlan,
    /// `ms_index.status` and `.stage`.
    pub status: &'static str,
    pub stage: &'static str,
    pub calibration: Vec<CalUse>,
    /// When the imaging job wrote the images, and the photometry job its rows.
    pub images_at: Option<f64>,
    pub photometry_at: Option<f64>,
}

/// Stage names of old rows (the pipeline's vocabulary changed).
const OLD_DONE_STAGES: [&str; 4] = ["photometry_complete", "cataloged", "imaged", "mosaicked"];

fn stage_duration(stage: Stage) -> (f64, f64) {
    match stage {
        Stage::Conversion => (120.0, 280.0),
        Stage::Calibration => (60.0, 200.0),
        Stage::Imaging => (200.0, 560.0),
        Stage::Photometry => (20.0, 90.0),
    }
}

/// `ms_state` while `stage` runs.
fn running_state(stage: Stage) -> &'static str {
    match stage {
        Stage::Conversion => "converting",
        Stage::Calibration => "applying_cal",
        Stage::Imaging | Stage::Photometry => "imaging",
    }
}

/// `ms_index.stage` of an MS that failed in `stage`.
fn failed_ms_stage(stage: Stage) -> &'static str {
    match stage {
        Stage::Conversion => "conversion",
        Stage::Calibration => "calibration",
        Stage::Imaging | Stage::Photometry => "imaging",
    }
}

fn outcome(tf: &Timeframe, i: u64, d: &mut Draw) -> Outcome {
    let rank = tf.rank(i);
    let queued = tf.queued_count();
    if rank < queued {
        return if rank * 2 < queued {
            Outcome::Queued
        } else {
            Outcome::Converting
        };
    }
    if rank < tf.in_progress_count() {
        return if d.chance(1.0 / 3.0) {
            Outcome::Calibrating(*d.pick(&CalStep::ALL))
        } else {
            Outcome::Imaging
        };
    }
    if Draw::new(i / GAP_BLOCK, SALT_GAP).chance(GAP_CHANCE) {
        return Outcome::Skipped;
    }
    let (discovered, converted) = tf.stall_chances();
    let u = d.unit();
    if u < discovered {
        return Outcome::StalledDiscovered;
    }
    if u < discovered + converted {
        return Outcome::StalledConverted;
    }
    if d.chance(FAIL_CHANCE) {
        // Imaging fails most (timeouts, memory), photometry least.
        let stage = match d.int(0, 20) {
            0..6 => Stage::Conversion,
            6..11 => Stage::Calibration,
            11..18 => Stage::Imaging,
            _ => Stage::Photometry,
        };
        let terminal = d.chance(1.0 / 3.0);
        let attempts = match (terminal, d.chance(0.5)) {
            (true, true) => 1,
            (true, false) => 3,
            (false, _) => d.int(1, 4) as u32,
        };
        return Outcome::Failed {
            stage,
            attempts,
            terminal,
        };
    }
    let retried = d.chance(RETRY_CHANCE).then(|| *d.pick(&Stage::ALL));
    Outcome::Done { retried }
}

/// What each job of an outcome does, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Succeed,
    /// Fails retryably or not.
    Fail(bool),
    NoCaltables,
    Run,
    Wait,
}

fn steps(outcome: Outcome) -> Vec<(Stage, Step)> {
    use Stage::*;
    match outcome {
        Outcome::Done { retried } => Stage::ALL
            .iter()
            .flat_map(|&s| {
                let retry = (retried == Some(s)).then_some((s, Step::Fail(true)));
                retry.into_iter().chain([(s, Step::Succeed)])
            })
            .collect(),
        Outcome::Failed {
            stage,
            attempts,
            terminal,
        } => {
            let retryable = !(terminal && attempts == 1);
            Stage::ALL
                .iter()
                .take_while(|&&s| s != stage)
                .map(|&s| (s, Step::Succeed))
                .chain((0..attempts).map(|_| (stage, Step::Fail(retryable))))
                .collect()
        }
        Outcome::Skipped => vec![
            (Conversion, Step::Succeed),
            (Calibration, Step::NoCaltables),
        ],
        Outcome::StalledDiscovered => Vec::new(),
        Outcome::StalledConverted => vec![(Conversion, Step::Succeed)],
        Outcome::Queued => Stage::ALL.iter().map(|&s| (s, Step::Wait)).collect(),
        Outcome::Converting => vec![
            (Conversion, Step::Run),
            (Calibration, Step::Wait),
            (Imaging, Step::Wait),
            (Photometry, Step::Wait),
        ],
        Outcome::Calibrating(_) => vec![
            (Conversion, Step::Succeed),
            (Calibration, Step::Run),
            (Imaging, Step::Wait),
            (Photometry, Step::Wait),
        ],
        Outcome::Imaging => vec![
            (Conversion, Step::Succeed),
            (Calibration, Step::Succeed),
            (Imaging, Step::Run),
            (Photometry, Step::Wait),
        ],
    }
}

/// Plan MS `i` (0 = oldest) of the timeframe.
pub fn plan_ms(tf: &Timeframe, i: u64) -> MsPlan {
    let mut d = Draw::new(i, SALT_MS);
    let start_unix = tf.start(i);
    let gid = group_id(start_unix);
    let end_unix = start_unix + OBS_SECONDS;
    let (start_mjd, end_mjd) = (unix_to_mjd(start_unix), unix_to_mjd(end_unix));
    let mid_mjd = (start_mjd + end_mjd) / 2.0;
    let ra_deg = meridian_ra_deg(mid_mjd);
    let dec_deg = POINTING_DEC_DEG;
    let discovered_at = end_unix + d.range(5.0, 20.0);
    let outcome = outcome(tf, i, &mut d);
    let path = ms_path(&gid);
    let image = pbcor_path(&gid);
    let ctx = FailureContext {
        ms_path: &path,
        group_id: &gid,
        mid_mjd,
        image_path: &image,
    };
    let attempts = schedule(tf.now, discovered_at, outcome, &ctx, &mut d);
    let (status, stage, state) = where_it_stands(tf, i, outcome, discovered_at, &attempts, &mut d);
    let finished_ok = |s: Stage| {
        attempts
            .iter()
            .find(|a| a.stage == s && a.state == JobState::Completed)
            .and_then(|a| a.finished)
    };
    // A skipped MS had no tables to apply.
    let calibration = attempts
        .iter()
        .filter(|a| a.stage == Stage::Calibration && a.finished.is_some())
        .filter(|_| outcome != Outcome::Skipped)
        .map(|a| CalUse {
            at: a.finished.unwrap_or(a.created),
            error: a.failure.as_ref().map(|f| f.exception.clone()),
        })
        .collect();
    MsPlan {
        i,
        run_id: run_id(start_unix),
        ms_path: path,
        start_unix,
        discovered_at,
        start_mjd,
        end_mjd,
        mid_mjd,
        ra_deg,
        dec_deg,
        field_name: field_name(ra_deg, dec_deg),
        outcome,
        images_at: finished_ok(Stage::Imaging),
        photometry_at: finished_ok(Stage::Photometry),
        attempts,
        state,
        status,
        stage,
        calibration,
        group_id: gid,
    }
}

/// The jobs of an outcome with their times: each waits in the queue, runs, and the next is
/// queued shortly after (a few minutes after a failure). Running work started within the last
/// 45 minutes (so some of it is "stuck" past the runbook's 30); waiting work was queued as a
/// chain when the first job was.
fn schedule(
    now: f64,
    discovered_at: f64,
    outcome: Outcome,
    ctx: &FailureContext<'_>,
    d: &mut Draw,
) -> Vec<Attempt> {
    let mut t = discovered_at + d.range(10.0, 60.0);
    let mut out: Vec<Attempt> = Vec::new();
    let mut previous_failure: Option<(Stage, String)> = None;
    for (stage, step) in steps(outcome) {
        let worker = d.int(1, 9) as u32;
        let retry_of = previous_failure
            .take()
            .filter(|(s, _)| *s == stage)
            .map(|(_, e)| e);
        let mut attempt = Attempt {
            stage,
            state: JobState::Pending,
            created: t,
            started: None,
            finished: None,
            failure: None,
            retry_of,
            worker,
            id: 0,
        };
        match step {
            Step::Succeed | Step::Fail(_) | Step::NoCaltables => {
                let started = t + d.range(5.0, 40.0);
                let (lo, hi) = stage_duration(stage);
                let finished = started + d.range(lo, hi);
                attempt.started = Some(started);
                attempt.finished = Some(finished);
                attempt.state = JobState::Completed;
                let failure = match step {
                    Step::Fail(retryable) => Some(failures::pick(stage, retryable, ctx, d)),
                    Step::NoCaltables => Some(failures::no_caltables(ctx)),
                    _ => None,
                };
                if let Some(f) = &failure {
                    attempt.state = JobState::Failed;
                    previous_failure = Some((stage, f.exception.clone()));
                    t = finished + d.range(60.0, 300.0);
                } else {
                    t = finished + d.range(1.0, 15.0);
                }
                attempt.failure = failure;
            }
            Step::Run => {
                attempt.created = t.min(now - 60.0);
                let planned = attempt.created + d.range(5.0, 40.0);
                let started = if planned < now - 2700.0 {
                    now - d.range(30.0, 2700.0)
                } else {
                    planned.min(now - 5.0)
                };
                attempt.started = Some(started);
                attempt.state = JobState::Running;
                t = attempt.created + 1.0;
            }
            Step::Wait => {
                attempt.created = t.min(now - 20.0);
                t = attempt.created + 1.0;
            }
        }
        out.push(attempt);
    }
    out
}

/// `ms_index` status and stage and the `ms_state` row for an outcome.
fn where_it_stands(
    tf: &Timeframe,
    i: u64,
    outcome: Outcome,
    discovered_at: f64,
    attempts: &[Attempt],
    d: &mut Draw,
) -> (&'static str, &'static str, StatePlan) {
    let last = attempts.last();
    let last_end = last
        .and_then(|a| a.finished.or(a.started))
        .unwrap_or(discovered_at);
    let failures = attempts.iter().filter(|a| a.failure.is_some()).count() as i64;
    let last_error = || {
        attempts
            .iter()
            .rev()
            .find_map(|a| a.failure.as_ref().map(|f| f.exception.clone()))
    };
    let running_since = || {
        attempts
            .iter()
            .find(|a| a.state == JobState::Running)
            .and_then(|a| a.started)
            .unwrap_or(discovered_at)
    };
    let state = |current, previous, transition, retry_count, error| StatePlan {
        current,
        previous,
        transition,
        retry_count,
        error,
    };
    match outcome {
        Outcome::Done { .. } => {
            // The oldest 30 % of a long history still carry the old stage names.
            let old = tf.rank(i) as f64 > 0.7 * tf.n as f64 && tf.n >= 1000;
            let stage = if old {
                *d.pick(&OLD_DONE_STAGES)
            } else if d.chance(0.1) {
                "selfcal"
            } else {
                "imaging"
            };
            (
                "done",
                stage,
                state("done", Some("imaging"), last_end, failures, None),
            )
        }
        Outcome::Failed {
            stage, terminal, ..
        } => (
            "failed",
            failed_ms_stage(stage),
            state(
                if terminal { "error" } else { "failed" },
                Some(running_state(stage)),
                last_end,
                failures,
                last_error(),
            ),
        ),
        Outcome::Skipped => (
            "skipped_no_caltables",
            "calibration",
            state("error", Some("solving_cal"), last_end, 1, last_error()),
        ),
        Outcome::Queued | Outcome::StalledDiscovered => (
            "discovered",
            "discovered",
            state("pending", None, discovered_at, 0, None),
        ),
        Outcome::StalledConverted => (
            "converted",
            "conversion",
            state("converted", Some("converting"), last_end, 0, None),
        ),
        Outcome::Converting => (
            "discovered",
            "conversion",
            state("converting", Some("pending"), running_since(), 0, None),
        ),
        Outcome::Calibrating(step) => {
            let since = running_since();
            let fraction = match step {
                CalStep::FlaggingRfi => 0.0,
                CalStep::SolvingCal => 0.34,
                CalStep::ApplyingCal => 0.67,
            };
            (
                "converted",
                step.ms_stage(),
                state(
                    step.state(),
                    Some(step.previous_state()),
                    since + (tf.now - since) * fraction,
                    0,
                    None,
                ),
            )
        }
        Outcome::Imaging => (
            "converted",
            "imaging",
            state("imaging", Some("applying_cal"), running_since(), 0, None),
        ),
    }
}

/// Every MS of the timeframe, with job ids assigned in order of creation (as the pipeline's
/// AUTOINCREMENT gives them), and the MS observed once per run id.
pub fn plan_all(tf: &Timeframe) -> Vec<MsPlan> {
    let mut plans: Vec<MsPlan> = (0..tf.n).map(|i| plan_ms(tf, i)).collect();
    let mut order: Vec<(f64, usize, usize)> = plans
        .iter()
        .enumerate()
        .flat_map(|(m, p)| {
            p.attempts
                .iter()
                .enumerate()
                .map(move |(a, at)| (at.created, m, a))
        })
        .collect();
    order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    for (id, (_, m, a)) in order.into_iter().enumerate() {
        plans[m].attempts[a].id = id as i64 + 1;
    }
    plans
}

/// A worker id as the logs name it; a draw for per-job details of the logs.
pub fn job_draw(ms: u64, attempt: usize) -> Draw {
    Draw::new(ms * 16 + attempt as u64, SALT_RUN)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_761_056_599.0;

    fn share(plans: &[MsPlan], f: impl Fn(&MsPlan) -> bool) -> f64 {
        plans.iter().filter(|p| f(p)).count() as f64 / plans.len() as f64
    }

    #[test]
    fn a_year_has_the_documented_mix() {
        let tf = Timeframe::new(&Scale::YEAR, NOW);
        let plans = plan_all(&tf);
        let status = |s: &'static str| move |p: &MsPlan| p.status == s;
        let near = |got: f64, want: f64, tol: f64| {
            assert!((got - want).abs() < tol, "got {got}, want {want}")
        };
        near(share(&plans, status("done")), 0.90, 0.015);
        near(share(&plans, status("failed")), 0.03, 0.006);
        near(share(&plans, status("converted")), 0.03, 0.003);
        near(share(&plans, status("discovered")), 0.02, 0.003);
        near(share(&plans, status("skipped_no_caltables")), 0.02, 0.008);
        let state = |s: &'static str| move |p: &MsPlan| p.state.current == s;
        near(share(&plans, state("failed")), 0.02, 0.005);
        near(share(&plans, state("error")), 0.01 + 0.02, 0.01);
        let jobs: Vec<&Attempt> = plans.iter().flat_map(|p| &p.attempts).collect();
        let n = jobs.len() as f64;
        near(n / tf.n as f64, 3.85, 0.1);
        let jobs_in = |s: JobState| jobs.iter().filter(|a| a.state == s).count() as f64 / n;
        near(jobs_in(JobState::Completed), 0.96, 0.01);
        near(jobs_in(JobState::Failed), 0.04, 0.01);
        // Waiting and running work is all among the newest MS (the last ~70 minutes).
        let newest = tf.n - tf.in_progress_count();
        assert!(plans.iter().all(|p| {
            let busy = p
                .attempts
                .iter()
                .any(|a| matches!(a.state, JobState::Pending | JobState::Running));
            busy == (p.i >= newest)
        }));
    }

    #[test]
    fn a_day_is_all_recent_work_and_a_year_has_failures_in_its_last_day() {
        let day = plan_all(&Timeframe::new(&Scale::DAY, NOW));
        assert!(day.iter().all(|p| !matches!(
            p.outcome,
            Outcome::StalledDiscovered | Outcome::StalledConverted
        )));
        let jobs = day.iter().flat_map(|p| &p.attempts);
        let busy = jobs
            .filter(|a| matches!(a.state, JobState::Pending | JobState::Running))
            .count();
        assert!((30..80).contains(&busy), "{busy}");
        let tf = Timeframe::new(&Scale::YEAR, NOW);
        let last_day: Vec<MsPlan> = (tf.n - 300..tf.n).map(|i| plan_ms(&tf, i)).collect();
        let failed = last_day
            .iter()
            .flat_map(|p| &p.attempts)
            .filter(|a| a.finished.is_some_and(|f| f > NOW - 86_400.0) && a.failure.is_some())
            .count();
        assert!(failed > 10, "{failed}");
    }

    #[test]
    fn times_are_consistent_and_never_after_now() {
        for scale in [Scale::TINY, Scale::DAY] {
            let tf = Timeframe::new(&scale, NOW);
            let plans = plan_all(&tf);
            let newest = plans.last().unwrap();
            assert!(newest.start_unix + OBS_SECONDS < NOW);
            assert!(plans[0].start_unix >= NOW - scale.days as f64 * 86_400.0 - 600.0);
            for p in &plans {
                assert!(p.discovered_at > p.start_unix + OBS_SECONDS);
                assert!(p.state.transition <= NOW && p.state.transition >= p.discovered_at);
                for a in &p.attempts {
                    assert!(a.created >= p.discovered_at && a.created <= NOW, "{p:#?}");
                    if let Some(s) = a.started {
                        assert!(s >= a.created && s <= NOW, "{p:#?}");
                    }
                    if let Some(f) = a.finished {
                        assert!(f >= a.started.unwrap() && f <= NOW, "{p:#?}");
                    }
                }
                for t in [p.images_at, p.photometry_at].into_iter().flatten() {
                    assert!(t <= NOW);
                }
            }
        }
    }

    #[test]
    fn job_ids_follow_creation_and_failures_carry_their_traceback() {
        let plans = plan_all(&Timeframe::new(&Scale::DAY, NOW));
        let mut jobs: Vec<&Attempt> = plans.iter().flat_map(|p| &p.attempts).collect();
        jobs.sort_by_key(|a| a.id);
        assert_eq!(jobs.first().unwrap().id, 1);
        assert_eq!(jobs.last().unwrap().id, jobs.len() as i64);
        assert!(jobs.windows(2).all(|w| w[0].created <= w[1].created));
        for a in &jobs {
            assert_eq!(a.failure.is_some(), a.state == JobState::Failed);
        }
        for p in plans.iter().filter(|p| p.state.current == "error") {
            let e = p.state.error.as_deref().unwrap();
            let last = p.attempts.last().unwrap().failure.as_ref().unwrap();
            assert_eq!(e, last.exception);
        }
    }

    #[test]
    fn the_plan_is_a_function_of_scale_and_now() {
        let tf = Timeframe::new(&Scale::TINY, NOW);
        assert_eq!(plan_ms(&tf, 17), plan_ms(&tf, 17));
        assert_ne!(
            plan_ms(&tf, 17),
            plan_ms(&Timeframe::new(&Scale::TINY, NOW + 1.0), 17)
        );
    }
}
