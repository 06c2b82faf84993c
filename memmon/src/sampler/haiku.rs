//! Haiku: the sum over the team's areas of `ram_size` (as RSS) and `size` (as virtual size).
//!
//! This is the old suite's Haiku metric. sysinfo has no Haiku backend, so the areas are walked
//! with `get_next_area_info` from libc's Haiku bindings (`kernel/OS.h`): a team's memory is the
//! set of its areas, and `ram_size` is the part of an area that is actually in RAM. Haiku has no
//! PSS: `pss_anon` and `pss` stay absent.
//!
//! Written without a Haiku machine at hand: keep it small. Names and types are those of
//! libc 0.2's `src/unix/haiku/native.rs` (`area_info`, `get_next_area_info`, `B_OK`).

use super::Sample;

pub struct AreaSampler {
    team: libc::team_id,
}

impl AreaSampler {
    pub fn new(pid: u32) -> AreaSampler {
        // On Haiku a process id is its team id.
        AreaSampler {
            team: pid as libc::team_id,
        }
    }

    pub fn sample(&mut self) -> Option<Sample> {
        let mut cookie: isize = 0;
        let mut ram_size: u64 = 0;
        let mut size: u64 = 0;
        let mut areas = 0u32;
        loop {
            // SAFETY: area_info is a plain C struct of integers, an array and a raw pointer, for
            // which all-zero bytes are a valid value.
            let mut info: libc::area_info = unsafe { std::mem::zeroed() };
            // SAFETY: `cookie` and `info` are valid, exclusive pointers for the duration of the
            // call; the wrapper passes size_of::<area_info>() so the kernel writes no more than that.
            let status = unsafe { libc::get_next_area_info(self.team, &mut cookie, &mut info) };
            if status != libc::B_OK {
                break; // B_BAD_VALUE: no more areas, or the team is gone.
            }
            ram_size += u64::from(info.ram_size);
            size += info.size as u64;
            areas += 1;
        }
        // A live team always has areas (at least its stack and image); none means it is gone.
        if areas == 0 || ram_size == 0 {
            return None;
        }
        Some(Sample {
            rss: Some(ram_size),
            vsz: Some(size),
            pss_anon: None,
            pss: None,
        })
    }
}
