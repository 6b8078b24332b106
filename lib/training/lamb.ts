/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning: Training BERT in 76 Minutes"):
 * Adam's step r = m̂ / (√v̂ + ε) for each weight tensor w, rescaled by the trust ratio ‖w‖ / ‖r‖, so that
 * every tensor moves by `learningRate` times its own norm whatever its gradients' scale (ratio 1 where
 * either norm is 0, e.g. a bias still at zero). No weight decay.
 *
 * Why here: Inception (NN2) has no batch norm. Adam moves every weight by about its rate per step, which is
 * a large change for the layers whose weights or signal are small (README, Pilots: at Adam 1e-4 from
 * Keras' weights it collapsed; from data-initialised convolutions it learned no faster than at 3e-5). A
 * step proportional to each layer's weights is the usual remedy for deep networks without batch norm.
 * Measured: it did not help here. From data-initialised convolutions, LAMB at 3e-3 and at 1e-3 collapsed
 * to the margin within three 20-batch pilot epochs (README, Pilots).
 *
 * It is tfjs's Adam with the update rescaled, so its state (moments, step count, β products) is Adam's and
 * checkpoints save and restore it as they do Adam's (checkpoint.ts).
 */
import * as tf from "@tensorflow/tfjs-core";

/** A named gradient, as tfjs's optimizers take them (its type is not exported from the package root). */
type NamedGradient = { name: string; tensor: tf.Tensor };

/** The Adam fields LAMB reads (private in tfjs's typings, public at run time). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

export class LambOptimizer extends tf.AdamOptimizer {
  static override get className(): string {
    return "Lamb";
  }

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedGradient[]): void {
    const s = this as unknown as AdamState;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      const c1 = tf.sub(1, s.accBeta1);
      const c2 = tf.sub(1, s.accBeta2);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        s.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        s.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const g = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (g == null) return;
        const m = s.accumulatedFirstMoment[i].variable;
        const v = s.accumulatedSecondMoment[i].variable;
        const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1));
        const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2));
        m.assign(m1);
        v.assign(v1);
        const r = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), s.epsilon));
        const wNorm = tf.norm(value);
        const rNorm = tf.norm(r);
        const trust = tf.where(
          tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(rNorm, 0)),
          tf.div(wNorm, tf.maximum(rNorm, 1e-30)),
          tf.onesLike(wNorm),
        );
        value.assign(tf.sub(value, tf.mul(r, tf.mul(trust, s.learningRate))));
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    this.incrementIterations();
  }
}
