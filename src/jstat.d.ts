/** The few functions of jStat (https://github.com/jstat/jstat) that Orket's statistics use; it ships no types. */
declare module "jstat" {
  interface JStat {
    studentt: { inv(p: number, dof: number): number };
    normal: { inv(p: number, mean: number, std: number): number };
    binomial: { cdf(k: number, n: number, p: number): number };
    beta: { inv(p: number, a: number, b: number): number };
  }
  const jStat: JStat;
  export default jStat;
}
