use hmatrix::geometry::Geometry;
use hmatrix::kernel::RadialKernel;
use hmatrix::source::{to_dense, KernelSource};
fn main() {
    for (k, g, n, nug) in
        [("yukawa", "sphere", 4096, 0.0), ("matern32", "ball", 4096, 1e-2), ("laplace3d", "cube", 3000, 0.0)]
    {
        let p = Geometry::from_name(g).unwrap().generate(n, 0).unwrap();
        let src = KernelSource::new(p, RadialKernel::from_name(k).unwrap(), nug).unwrap();
        let a = to_dense(&src);
        let ev = a.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        let s: Vec<String> = ev.iter().map(|x| format!("{x:.17e}")).collect();
        std::fs::write(format!("/tmp/spec/{k}-{g}-{n}.txt"), s.join("\n")).unwrap();
    }
}
