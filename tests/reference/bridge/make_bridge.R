# brms 2.18's bridge_sampler() of a few models with proper priors, for the comparisons of
# tests/test_bridge_sampling.py: each model is fitted with save_pars(all = TRUE), 4 chains of
# 2000 iterations, and its log marginal likelihood estimated ten times (bridgesampling's
# repetitions, each with new draws from the proposal), with bridgesampling's error measures.
#
# usage: Rscript make_bridge.R   (writes bridge.json beside this script)
suppressMessages({library(brms); library(jsonlite); library(bridgesampling)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
data_dir <- file.path(here, "..", "..", "..", "src", "multilevel", "data")
sleep <- read.csv(file.path(data_dir, "sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)
epilepsy <- read.csv(file.path(data_dir, "epilepsy.csv"))
epilepsy$patient <- factor(epilepsy$patient)
epilepsy$Trt <- factor(epilepsy$Trt)
dyestuff <- read.csv(file.path(data_dir, "dyestuff.csv"))
models <- list(
  list(id = "sleep_slopes", data = "sleepstudy", d = sleep, family = "gaussian",
       formula = "Reaction ~ Days + (Days | Subject)", prior = "prior(normal(0, 20), class = b)"),
  list(id = "sleep_intercepts", data = "sleepstudy", d = sleep, family = "gaussian",
       formula = "Reaction ~ Days + (1 | Subject)", prior = "prior(normal(0, 20), class = b)"),
  list(id = "dyestuff", data = "dyestuff", d = dyestuff, family = "gaussian",
       formula = "Yield ~ 1 + (1 | Batch)", prior = ""),
  list(id = "epilepsy", data = "epilepsy", d = epilepsy, family = "poisson",
       formula = "count ~ zAge + zBase * Trt + (1 | patient)",
       prior = "prior(normal(0, 1), class = b)")
)
out <- list()
for (m in models) {
  prior <- if (nzchar(m$prior)) eval(parse(text = m$prior)) else NULL
  fit <- brm(as.formula(m$formula), data = m$d, family = m$family, prior = prior,
             save_pars = save_pars(all = TRUE), seed = 1234, refresh = 0, cores = 2,
             chains = 4, iter = 2000)
  set.seed(1234)
  bridge <- bridge_sampler(fit, repetitions = 10, silent = TRUE)
  single <- bridge_sampler(fit, silent = TRUE)
  errors <- error_measures(single)
  out[[m$id]] <- list(id = m$id, data = m$data, family = m$family, formula = m$formula,
                      prior = m$prior, logml = bridge$logml, logml_single = single$logml,
                      niter = single$niter, cv = errors$cv, re2 = errors$re2,
                      brms_version = as.character(packageVersion("brms")),
                      bridgesampling_version = as.character(packageVersion("bridgesampling")))
  cat(sprintf("%s logml %.4f (sd over repetitions %.4f), single %.4f, cv %s\n", m$id,
              mean(bridge$logml), sd(bridge$logml), single$logml, errors$cv))
}
write(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = TRUE), file.path(here, "bridge.json"))
