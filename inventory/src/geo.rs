//! Distances on the Earth and nearest-site search.
//!
//! Sites go into an R*-tree as points on the unit sphere (x, y, z). Straight-line (chord)
//! distance there grows monotonically with great-circle distance, so the tree's Euclidean
//! nearest neighbour is exactly the haversine nearest neighbour, with no projection error
//! anywhere on the globe; the distance reported is then computed with haversine.

use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (p, l) = (lat.to_radians(), lon.to_radians());
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

/// Squared chord length on the unit sphere for a great-circle distance in metres.
fn chord2_for(distance_m: f64) -> f64 {
    let angle = (distance_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord
}

/// An indexed point carrying the position of its record in the caller's slice.
#[derive(Debug, Clone, Copy)]
struct Indexed {
    xyz: [f64; 3],
    index: usize,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for Indexed {
    fn distance_2(&self, point: &[f64; 3]) -> f64 {
        self.xyz
            .iter()
            .zip(point)
            .map(|(a, b)| (a - b) * (a - b))
            .sum()
    }
}

/// Points (lat, lon) searchable by nearness.
#[derive(Debug)]
pub struct PointIndex {
    tree: RTree<Indexed>,
}

impl PointIndex {
    /// Indexes `points`; results refer back to positions in this slice.
    pub fn new(points: &[(f64, f64)]) -> Self {
        let items = points
            .iter()
            .enumerate()
            .map(|(index, &(lat, lon))| Indexed {
                xyz: unit_vector(lat, lon),
                index,
            })
            .collect();
        Self {
            tree: RTree::bulk_load(items),
        }
    }

    /// The nearest point's position in the slice, if any.
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<usize> {
        self.tree
            .nearest_neighbor(&unit_vector(lat, lon))
            .map(|p| p.index)
    }

    /// Positions of all points within `radius_m` (great-circle) of (lat, lon).
    pub fn within(&self, lat: f64, lon: f64, radius_m: f64) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .tree
            .locate_within_distance(unit_vector(lat, lon), chord2_for(radius_m))
            .map(|p| p.index)
            .collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_known_distances() {
        // One degree of latitude is ~111.2 km on the mean sphere.
        let d = haversine_m(22.0, 113.0, 23.0, 113.0);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert_eq!(haversine_m(22.9, 113.3, 22.9, 113.3), 0.0);
    }

    #[test]
    fn nearest_matches_brute_force() {
        // A deterministic scatter around Panyu; compare the tree against a linear scan.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let sites: Vec<(f64, f64)> = (0..500)
            .map(|_| (22.85 + next() * 0.25, 113.25 + next() * 0.3))
            .collect();
        let index = PointIndex::new(&sites);
        for _ in 0..200 {
            let (lat, lon) = (22.85 + next() * 0.25, 113.25 + next() * 0.3);
            let brute = (0..sites.len())
                .min_by(|&a, &b| {
                    haversine_m(lat, lon, sites[a].0, sites[a].1)
                        .total_cmp(&haversine_m(lat, lon, sites[b].0, sites[b].1))
                })
                .unwrap_or(usize::MAX);
            assert_eq!(index.nearest(lat, lon), Some(brute));
            let within: Vec<usize> = (0..sites.len())
                .filter(|&i| haversine_m(lat, lon, sites[i].0, sites[i].1) <= 1500.0)
                .collect();
            assert_eq!(index.within(lat, lon, 1500.0), within);
        }
    }
}
