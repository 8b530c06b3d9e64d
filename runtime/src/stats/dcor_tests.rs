#![allow(clippy::excessive_precision, clippy::approx_constant)] // reference values are quoted digit for digit
//! dcor against energy's reference values and against brute force.

use std::sync::Arc;

use super::*;
use crate::graph::{Shape, Source};
use crate::testutil::{close, noise};

fn points(v: Vec<f64>, p: u64) -> Sample {
    let n = v.len() as u64 / p;
    let shape = if p == 1 {
        Shape::vector(n)
    } else {
        Shape::matrix(n, p)
    };
    Sample::Points(graph::source(Arc::new(Source::owned(v)), shape))
}

#[test]
fn tiny_cases_match_energy() {
    let x = points(vec![0.0, 1.0, 3.0, 7.0], 1);
    let y = points(vec![2.0, 0.0, 1.0, 5.0], 1);
    let want = [
        1.6201851746019651,
        0.89534220722549185,
        2.1830311495716224,
        1.5,
    ];
    for m in [Method::Auto, Method::Streaming] {
        let got = finish_v(v_moments(&x, &y, 1.0, m).unwrap());
        for k in 0..4 {
            assert!(close(got[k], want[k], 1e-14), "{m:?} {k}: {}", got[k]);
        }
        let u = finish_u(u_moments(&x, &y, m).unwrap());
        assert!(close(u[1], -0.5, 1e-12), "{m:?}: bcdcor {}", u[1]);
    }
    let x5 = points(vec![1.0, 2.0, 3.0, 4.0, 5.0], 1);
    let y5 = points(vec![1.0, 4.0, 9.0, 16.0, 25.0], 1);
    for m in [Method::Auto, Method::Streaming] {
        assert!(close(
            v_moments(&x5, &y5, 1.0, m).unwrap().xy,
            7.2959999999999994,
            1e-12
        ));
        assert!(close(
            u_moments(&x5, &y5, m).unwrap().xy,
            6.4000000000000057,
            1e-12
        ));
        let r = finish_v(v_moments(&x5, &y5, 1.0, m).unwrap())[1];
        assert!(close(r, 0.98691604405374833, 1e-14));
        assert!(close(
            finish_u(u_moments(&x5, &y5, m).unwrap())[1],
            0.99312706632284153,
            1e-12
        ));
    }
    let c =
        finish_v(v_moments(&points(vec![3.0; 10], 1), &x5_10(), 1.0, Method::Streaming).unwrap());
    assert_eq!(&c[..3], &[0.0, 0.0, 0.0]);
    assert!(close(c[3], 2.134010309253449, 1e-14));
    let two = finish_v(
        v_moments(
            &points(vec![1.0, 2.0], 1),
            &points(vec![3.0, 5.0], 1),
            1.0,
            Method::Streaming,
        )
        .unwrap(),
    );
    for (g, w) in two.iter().zip([0.70710678118654757, 1.0, 0.5, 1.0]) {
        assert!(close(*g, w, 1e-14));
    }
}

fn x5_10() -> Sample {
    points((1..=10).map(f64::from).collect(), 1)
}

#[test]
fn streaming_and_univariate_agree_and_exponents_work() {
    let x = noise(700, 1);
    let y: Vec<f64> = x
        .iter()
        .zip(noise(700, 2))
        .map(|(a, e)| a * a + 0.3 * e)
        .collect();
    let (xs, ys) = (points(x.clone(), 1), points(y.clone(), 1));
    let fast = v_moments(&xs, &ys, 1.0, Method::Auto).unwrap();
    let slow = v_moments(&xs, &ys, 1.0, Method::Streaming).unwrap();
    for (a, b) in [(fast.xy, slow.xy), (fast.xx, slow.xx), (fast.yy, slow.yy)] {
        assert!(close(a, b, 1e-12), "{a} vs {b}");
    }
    let fu = u_moments(&xs, &ys, Method::Auto).unwrap();
    let su = u_moments(&xs, &ys, Method::Streaming).unwrap();
    for (a, b) in [(fu.xy, su.xy), (fu.xx, su.xx), (fu.yy, su.yy)] {
        assert!(close(a, b, 1e-10), "{a} vs {b}");
    }
    // index = 2 makes dCor equal |Pearson r| for univariate data.
    let r2 = finish_v(v_moments(&xs, &ys, 2.0, Method::Auto).unwrap())[1];
    let (mx, my) = (x.iter().sum::<f64>() / 700.0, y.iter().sum::<f64>() / 700.0);
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    assert!(close(r2, (sxy / (sxx * syy).sqrt()).abs(), 1e-10));
}

#[test]
fn given_distance_matrices_equal_points() {
    let x = noise(90, 3);
    let y = noise(60, 4);
    let (xs, ys) = (points(x, 3), points(y, 2));
    let dx = match &xs {
        Sample::Points(p) => graph::dist(p).unwrap(),
        _ => unreachable!(),
    };
    let dense = graph::source(
        Arc::new(Source::owned(plan::materialize(&dx).unwrap())),
        Shape::matrix(30, 30),
    );
    let a = finish_v(v_moments(&xs, &ys, 0.5, Method::Auto).unwrap());
    let b = finish_v(v_moments(&Sample::Distances(dense.clone()), &ys, 0.5, Method::Auto).unwrap());
    for k in 0..4 {
        assert!(close(a[k], b[k], 1e-13));
    }
    let ua = u_moments(&xs, &ys, Method::Auto).unwrap();
    let ub = u_moments(&Sample::Distances(dense), &ys, Method::Auto).unwrap();
    assert!(close(ua.xy, ub.xy, 1e-12) && close(ua.xx, ub.xx, 1e-12));
}
