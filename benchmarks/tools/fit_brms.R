# Fit one benchmark model with brms and write its timings and diagnostics as JSON.
# usage: Rscript fit_brms.R JOB.json OUT.json   (run by benchmarks/run.py)
# brms runs as its users get it: default priors, the rstan backend, refresh = 0.
start <- Sys.time()
secs <- function(from, to) as.numeric(difftime(to, from, units = "secs"))
suppressMessages({library(brms); library(posterior); library(jsonlite)})
imported <- Sys.time()
a <- commandArgs(trailingOnly = TRUE)
job <- fromJSON(a[1])
d <- read.csv(job$data)
for (col in job$factors) d[[col]] <- factor(d[[col]])
loaded <- Sys.time()
fit <- brm(as.formula(job$formula), data = d, family = get(job$family)(),
           chains = job$chains, iter = job$warmup + job$draws, warmup = job$warmup,
           cores = job$cores, seed = job$seed, refresh = 0, silent = 2)
fitted <- Sys.time()
dr <- as_draws_df(fit)
keep <- grep("^(b_|sd_|cor_|sigma$)", variables(dr), value = TRUE)
s <- summarise_draws(subset_draws(dr, variable = keep), "mean", "ess_bulk", "rhat")
params <- lapply(seq_len(nrow(s)), function(i) {
  list(mean = s$mean[i], ess_bulk = s$ess_bulk[i], rhat = s$rhat[i])
})
names(params) <- s$variable
np <- nuts_params(fit)
# Stan's own warmup + sampling seconds per chain, to tell compilation from sampling.
stan_seconds <- rowSums(rstan::get_elapsed_time(fit$fit))
out <- list(
  timings = list(import_s = secs(start, imported), load_s = secs(imported, loaded),
                 fit_s = secs(loaded, fitted), summary_s = secs(fitted, Sys.time()),
                 stan_chain_s = unname(stan_seconds)),
  params = params,
  divergences = sum(np$Value[np$Parameter == "divergent__"]),
  backend = "rstan",
  warnings = as.list(unique(sub("\\.?\n.*", "", names(warnings()))))
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), a[2])
