//! The few functions generated code calls: libm's transcendentals, and R's `^` for exponents that are not
//! small constants (R's special cases around 0, 1, NaN and infinities wrapped around libm's pow).

use cranelift_codegen::ir::types::F64;
use cranelift_codegen::ir::{AbiParam, FuncRef, Function, Signature};
use cranelift_codegen::isa::CallConv;
use cranelift_jit::JITBuilder;
use cranelift_module::{Linkage, Module};

use lazyshare_runtime::graph::{r_pow, UnaryOp};

extern "C" {
    fn exp(x: f64) -> f64;
    fn log(x: f64) -> f64;
    fn log2(x: f64) -> f64;
    fn log10(x: f64) -> f64;
    fn log1p(x: f64) -> f64;
    fn expm1(x: f64) -> f64;
    fn sin(x: f64) -> f64;
    fn cos(x: f64) -> f64;
    fn tan(x: f64) -> f64;
}

extern "C" fn lzs_r_pow(x: f64, y: f64) -> f64 {
    r_pow(x, y)
}

const UNARY: [(UnaryOp, &str); 9] = [
    (UnaryOp::Exp, "exp"),
    (UnaryOp::Log, "log"),
    (UnaryOp::Log2, "log2"),
    (UnaryOp::Log10, "log10"),
    (UnaryOp::Log1p, "log1p"),
    (UnaryOp::Expm1, "expm1"),
    (UnaryOp::Sin, "sin"),
    (UnaryOp::Cos, "cos"),
    (UnaryOp::Tan, "tan"),
];

/// Makes the functions known to a module's linker by address (no symbol lookup at run time).
pub fn register(builder: &mut JITBuilder) {
    let ptrs: [*const u8; 9] = [
        exp as *const u8,
        log as *const u8,
        log2 as *const u8,
        log10 as *const u8,
        log1p as *const u8,
        expm1 as *const u8,
        sin as *const u8,
        cos as *const u8,
        tan as *const u8,
    ];
    for ((_, name), p) in UNARY.iter().zip(ptrs) {
        builder.symbol(*name, p);
    }
    builder.symbol("lzs_r_pow", lzs_r_pow as *const u8);
}

/// The functions as seen from one function being compiled.
pub struct Libm {
    pub pow: FuncRef,
    unary: Vec<(UnaryOp, FuncRef)>,
}

impl Libm {
    pub fn declare<M: Module>(module: &mut M, func: &mut Function) -> Result<Libm, String> {
        let sig = |n: usize| {
            let mut s = Signature::new(CallConv::SystemV);
            for _ in 0..n {
                s.params.push(AbiParam::new(F64));
            }
            s.returns.push(AbiParam::new(F64));
            s
        };
        let mut import = |name: &str, n: usize| -> Result<FuncRef, String> {
            let id = module
                .declare_function(name, Linkage::Import, &sig(n))
                .map_err(|e| e.to_string())?;
            Ok(module.declare_func_in_func(id, func))
        };
        let pow = import("lzs_r_pow", 2)?;
        let unary = UNARY
            .iter()
            .map(|(op, name)| Ok((*op, import(name, 1)?)))
            .collect::<Result<_, String>>()?;
        Ok(Libm { pow, unary })
    }

    pub fn unary(&self, op: UnaryOp) -> FuncRef {
        self.unary
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, f)| *f)
            .expect("a libm function for every transcendental op")
    }
}
