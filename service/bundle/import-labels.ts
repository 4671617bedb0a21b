// What an import sets itself instead of the bundle, as its job's message
// names each (the README says what each covers), and the reasons it gives
// for what it refuses.

export const HOST_DEVICE = 'a device of the host';
export const HOST_FILE = 'a file, socket or device of the host';

/** What this host sets itself, as the job's message names it (the README says what each covers). */
export const S = {
  emulator: 'the emulator',
  controllers: 'controllers',
  cpu: 'the CPU model',
  features: 'machine features',
  clockTimers: 'clock timers',
  actions: 'power-off, reboot and crash actions',
  pm: 'power management',
  firmwarePaths: 'firmware and UEFI variable paths',
  tuning: 'tuning for the old host',
  diskTuning: 'disk tuning',
  network: 'network attachment',
  display: 'display listener and password',
  videoSettings: 'display adapter settings',
  input: 'input devices',
  agent: 'agent channels',
  consoles: 'serial consoles',
  balloon: 'the memory balloon',
  rng: 'the random-number device',
  media: 'install media (ejected)',
  seclabel: 'security labels',
  machine: 'the machine type',
  otherMetadata: 'other programs’ notes',
  usbRedirection: 'USB redirection',
  audio: 'sound output',
  watchdog: 'the chipset’s watchdog',
  bootOrder: 'the boot order',
  smbios: 'SMBIOS data',
  diskIds: 'disk serial numbers',
  onlineVcpus: 'offline vCPUs',
  keywrap: 'key wrapping',
  memoryHotplug: 'memory hot-plug slots',
  currentMemory: 'the balloon target',
};
