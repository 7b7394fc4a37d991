-- Confidence intervals and significance tests from counts (docs/data-dictionary.md).

-- 95% Wilson score interval for k successes out of n; null when n is 0.
-- z defaults to the 97.5% normal quantile; clamped to [0, 1] against rounding;
-- computed in double precision (integer n * n would overflow).
create or replace macro wilson_low(k, n, z := 1.959963984540054) as
    case when n > 0 and k is not null then greatest(0.0,
        (k::double / n + z * z / (2.0 * n)
            - z * sqrt((k::double / n) * (1 - k::double / n) / n + z * z / (4.0 * n * n)))
        / (1 + z * z / n))
    end;

create or replace macro wilson_high(k, n, z := 1.959963984540054) as
    case when n > 0 and k is not null then least(1.0,
        (k::double / n + z * z / (2.0 * n)
            + z * sqrt((k::double / n) * (1 - k::double / n) / n + z * z / (4.0 * n * n)))
        / (1 + z * z / n))
    end;

-- Complementary error function, Chebyshev fit (Numerical Recipes "erfcc"):
-- fractional error below 1.2e-7 everywhere, so tiny p-values keep their digits.
-- DuckDB has no erf/normal cdf of its own.
create or replace macro erfc_approx_nonnegative(x) as
    (1 / (1 + 0.5 * x)) * exp(-x * x - 1.26551223 + (1 / (1 + 0.5 * x)) * (1.00002368
        + (1 / (1 + 0.5 * x)) * (0.37409196 + (1 / (1 + 0.5 * x)) * (0.09678418
        + (1 / (1 + 0.5 * x)) * (-0.18628806 + (1 / (1 + 0.5 * x)) * (0.27886807
        + (1 / (1 + 0.5 * x)) * (-1.13520398 + (1 / (1 + 0.5 * x)) * (1.48851587
        + (1 / (1 + 0.5 * x)) * (-0.82215223 + (1 / (1 + 0.5 * x)) * 0.17087277)))))))));

create or replace macro erfc_approx(x) as
    case when x >= 0 then erfc_approx_nonnegative(x) else 2 - erfc_approx_nonnegative(-x) end;

-- Two-proportion z statistic with the pooled variance (k1 of n1 against k2 of n2);
-- null when either side has no trials or the pooled proportion is 0 or 1.
create or replace macro two_proportion_z(k1, n1, k2, n2) as
    case when n1 > 0 and n2 > 0 and (k1 + k2) > 0 and (k1 + k2) < (n1 + n2) then
        (k1::double / n1 - k2::double / n2)
        / sqrt(((k1 + k2)::double / (n1 + n2)) * (1 - (k1 + k2)::double / (n1 + n2))
            * (1.0 / n1 + 1.0 / n2))
    end;

-- Two-sided p-value of a standard normal statistic.
-- (least() skips nulls in DuckDB, hence the explicit null case.)
create or replace macro normal_two_sided_p(z) as
    case when z is not null then least(1.0, erfc_approx(abs(z) / sqrt(2))) end;
